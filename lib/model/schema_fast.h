#pragma once
// A yes/no check of a document against the schema for the common case, a valid
// descriptor. valijson (schema_check.cpp) says where and why a document fails, and stays
// the judge; it costs about 78,000 instructions per service of a 10,000-service
// descriptor, which was half of `lvsctl apply`'s own work. This checker compiles the
// schema once into plain nodes and answers "surely valid" only when every constraint
// was checked and holds: any keyword it does not implement makes compile() fail, and
// anything it is unsure of (an integer above INT64_MAX, a long array with uniqueItems)
// answers "not sure", so valijson runs as before. Tests run both on every descriptor
// they have and on the fuzz corpus: "surely valid" must never meet a valijson error.
#include <array>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lvs::model {

// Patterns of the form ^A B C* $ over plain character classes and literals (the schema's
// name pattern, ^/): matched in one pass, as std::regex_search would match them. Any
// other pattern (an escape, a negated class, '.', a quantifier before the end) is not
// taken, and std::regex does the work.
class SimplePattern {
 public:
  static std::optional<SimplePattern> parse(const std::string& pattern);
  bool search(const std::string& text) const;

 private:
  using CharSet = std::array<bool, 256>;
  std::vector<CharSet> fixed_;  // one character each
  std::optional<CharSet> tail_;  // repeated: '*' or '+'
  bool tail_at_least_one_ = false;
  bool to_end_ = false;  // '$'
};

class FastSchema {
 public:
  // nullopt when the schema uses a keyword (or a form of one) not implemented here.
  static std::optional<FastSchema> compile(const nlohmann::json& schema);

  // True only when `document` satisfies every constraint of the schema.
  bool surely_valid(const nlohmann::json& document) const;

 private:
  struct Node {
    unsigned types = 0;  // bits of kType*; 0: any type
    bool has_enum = false;
    std::vector<std::string> enum_strings;
    std::optional<double> minimum, maximum;
    std::optional<std::uint64_t> min_length, max_length, min_items, max_items;
    std::optional<std::regex> pattern;
    std::optional<SimplePattern> simple_pattern;  // the same pattern, without std::regex
    bool unique_items = false;
    int items = -1;                // one schema for every item
    std::optional<std::vector<int>> tuple;  // items given as an array
    int additional_items = -1;     // after the tuple
    std::map<std::string, int, std::less<>> properties;
    std::vector<std::string> required;
    int additional_properties = -1;
    bool no_additional_properties = false;
    int property_names = -1;
  };
  class Compiler;

  bool check(int node, const nlohmann::json& value, int depth) const;

  std::vector<Node> nodes_;  // [0] is the root
};

}  // namespace lvs::model
