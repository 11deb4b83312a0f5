#pragma once
// A strict JSON reader that remembers where every value and key was written.
// nlohmann::json neither tracks positions nor rejects duplicate keys, and its recursion
// is unbounded; this reader does all three, so every later message can name a line and
// column and a hostile file cannot exhaust the stack.
#include <cstddef>
#include <cstdint>
#include <utility>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace lvs::model {

struct TextPosition {
  int line = 0;    // 1-based; 0: unknown
  int column = 0;  // 1-based, in characters (UTF-8 code points)
  bool operator==(const TextPosition&) const = default;
};

// Where one written value (and, for an object member, its key) starts. Entries are kept
// in document order (pre-order), so a large file costs one flat vector, not a map of
// pointer strings; a pointer is only resolved when a message needs a position.
struct PositionEntry {
  TextPosition value;
  TextPosition key;                // object members only
  std::uint32_t parent = 0;        // entry index of the enclosing array or object
  std::uint32_t first_child = 0;   // containers: offset of their children in `children`
  std::uint32_t child_count = 0;
  std::uint32_t index = 0;         // array items: position in the array
  bool is_array = false;
  bool is_object = false;
  bool is_member = false;          // written as a member of an object (has a key)
  std::string name;                // object members: the (unescaped) key
};

struct PositionedJson {
  nlohmann::json value;
  std::vector<PositionEntry> entries;     // [0] is the root value
  // Entry indices, grouped per container: children[first_child .. +child_count] in
  // document order. An object of more than kScanLimit members has them once more right
  // after, sorted by name, so a lookup is a binary search: a file with 200,000 unknown
  // fields asks for 200,000 positions, and a scan each would be quadratic.
  std::vector<std::uint32_t> children;
  static constexpr std::uint32_t kScanLimit = 8;
  // Name comparisons made while reading (duplicate keys) and in lookups; a test uses it
  // to show that the work grows with the size of the file, not with its square.
  mutable std::uint64_t lookup_steps = 0;

  // Where `pointer` was written; for a pointer that was not written (a missing field),
  // the nearest written ancestor.
  TextPosition position_of(const std::string& pointer) const;
  // Like position_of, but the key's position for object members.
  TextPosition key_position_of(const std::string& pointer) const;

 private:
  // The entry written deepest along `pointer`, and whether the whole pointer was found.
  std::pair<std::uint32_t, bool> find(const std::string& pointer) const;
  // The child of `object` written with this (unescaped) name.
  std::optional<std::uint32_t> member(const PositionEntry& object, const std::string& name) const;
};

struct JsonProblem {
  TextPosition position;
  std::string pointer;  // empty for plain syntax errors
  std::string message;
};

struct JsonLimits {
  int max_depth = 64;
  std::size_t max_string_bytes = 4096;
  std::size_t max_values = 1'000'000;
};

struct JsonReadResult {
  std::optional<PositionedJson> json;  // absent after a fatal syntax error
  std::vector<JsonProblem> problems;   // the fatal error, and duplicate keys (not fatal)
};

JsonReadResult read_json_with_positions(std::string_view text, const JsonLimits& limits = {});

// RFC 6901 escaping of one reference token ("~" -> "~0", "/" -> "~1").
std::string escape_pointer_token(std::string_view token);
// The parent of "/a/b" is "/a"; of "/a" it is "" (the root).
std::string parent_pointer(const std::string& pointer);

}  // namespace lvs::model
