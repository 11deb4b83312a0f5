#include "model/json_positions.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <unordered_map>

namespace lvs::model {

std::string escape_pointer_token(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (char c : token) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

std::string parent_pointer(const std::string& pointer) {
  auto slash = pointer.rfind('/');
  if (slash == std::string::npos) return "";
  return pointer.substr(0, slash);
}

namespace {

// The member name an RFC 6901 token stands for ("~0" -> "~", "~1" -> "/"); false for a
// "~" not followed by 0 or 1, which names no member.
bool unescape_token(std::string_view token, std::string& out) {
  out.clear();
  for (std::size_t t = 0; t < token.size(); ++t) {
    if (token[t] != '~') {
      out += token[t];
      continue;
    }
    if (t + 1 >= token.size() || (token[t + 1] != '0' && token[t + 1] != '1')) return false;
    out += token[t + 1] == '0' ? '~' : '/';
    ++t;
  }
  return true;
}

// An array index token as written by std::to_string: digits, no leading zero.
bool array_index(std::string_view token, std::uint32_t& out) {
  if (token.empty() || token.size() > 9 || (token.size() > 1 && token[0] == '0')) return false;
  std::uint32_t v = 0;
  for (char c : token) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint32_t>(c - '0');
  }
  out = v;
  return true;
}

}  // namespace

std::pair<std::uint32_t, bool> PositionedJson::find(const std::string& pointer) const {
  if (entries.empty()) return {0, false};
  std::uint32_t at = 0;
  if (pointer.empty()) return {0, true};
  if (pointer[0] != '/') return {0, false};
  std::string_view rest(pointer);
  std::string name;
  while (!rest.empty()) {
    rest.remove_prefix(1);  // '/'
    std::size_t slash = rest.find('/');
    std::string_view token = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
    const PositionEntry& e = entries[at];
    bool found = false;
    if (e.is_array) {
      std::uint32_t index = 0;
      if (array_index(token, index) && index < e.child_count) {
        at = children[e.first_child + index];
        found = true;
      }
    } else if (e.is_object && unescape_token(token, name)) {
      if (auto child = member(e, name)) {
        at = *child;
        found = true;
      }
    }
    if (!found) return {at, false};
  }
  return {at, true};
}

std::optional<std::uint32_t> PositionedJson::member(const PositionEntry& object, const std::string& name) const {
  const std::uint32_t* first = children.data() + object.first_child;
  if (object.child_count <= kScanLimit) {
    for (std::uint32_t k = 0; k < object.child_count; ++k) {
      ++lookup_steps;
      if (entries[first[k]].name == name) return first[k];
    }
    return std::nullopt;
  }
  const std::uint32_t* sorted = first + object.child_count;
  const std::uint32_t* end = sorted + object.child_count;
  const std::uint32_t* it = std::lower_bound(sorted, end, name, [&](std::uint32_t child, const std::string& n) {
    ++lookup_steps;
    return entries[child].name < n;
  });
  if (it != end && entries[*it].name == name) return *it;
  return std::nullopt;
}

TextPosition PositionedJson::position_of(const std::string& pointer) const {
  if (entries.empty()) return {};
  return entries[find(pointer).first].value;
}

TextPosition PositionedJson::key_position_of(const std::string& pointer) const {
  auto [at, exact] = find(pointer);
  if (exact && entries[at].is_member) return entries[at].key;
  return position_of(pointer);
}

namespace {

struct Fatal {
  TextPosition position;
  std::string message;
};

std::string describe_byte(unsigned char c) {
  if (c >= 0x20 && c < 0x7f) return std::string("'") + static_cast<char>(c) + "'";
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", c);
  return std::string("byte ") + buf;
}

class Reader {
 public:
  Reader(std::string_view text, const JsonLimits& limits) : s_(text), limits_(limits) {}

  JsonReadResult run() {
    JsonReadResult result;
    try {
      if (s_.size() >= 3 && s_.substr(0, 3) == "\xEF\xBB\xBF") i_ = 3;  // UTF-8 BOM
      skip_ws();
      if (at_end()) throw Fatal{here(), "the file is empty: expected a JSON object"};
      PositionedJson out;
      out.value = value(0, Slot{});
      skip_ws();
      if (!at_end())
        throw Fatal{here(), "unexpected " + describe_byte(peek()) + " after the end of the document"};
      out.entries = std::move(entries_);
      out.children = std::move(children_);
      out.lookup_steps = steps_;
      result.json = std::move(out);
    } catch (const Fatal& f) {
      problems_.push_back(JsonProblem{f.position, "", f.message});
    }
    result.problems = std::move(problems_);
    return result;
  }

 private:
  bool at_end() const { return i_ >= s_.size(); }
  unsigned char peek() const { return static_cast<unsigned char>(s_[i_]); }
  TextPosition here() const { return {line_, col_}; }

  void advance() {
    unsigned char c = peek();
    ++i_;
    if (c == '\n') {
      ++line_;
      col_ = 1;
    } else if (c < 0x80 || i_ >= s_.size() || (static_cast<unsigned char>(s_[i_]) & 0xC0) != 0x80) {
      ++col_;  // count characters, not bytes: continuation bytes do not move the column
    }
  }

  void skip_ws() {
    // advance() for these four bytes, without its UTF-8 test: most of a pretty-printed
    // descriptor is indentation.
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == ' ' || c == '\t' || c == '\r') {
        ++col_;
      } else if (c == '\n') {
        ++line_;
        col_ = 1;
      } else {
        break;
      }
      ++i_;
    }
  }

  // Where a value about to be read belongs (its container, key or index).
  struct Slot {
    std::uint32_t parent = 0;
    std::uint32_t index = 0;
    const std::string* name = nullptr;  // object members
    TextPosition key;
  };

  void record(const Slot& slot, TextPosition pos) {
    if (recording_) {
      PositionEntry e;
      e.value = pos;
      e.parent = slot.parent;
      e.index = slot.index;
      if (slot.name) {
        e.is_member = true;
        e.key = slot.key;
        e.name = *slot.name;
      }
      entries_.push_back(std::move(e));
    }
    if (++values_ > limits_.max_values)
      throw Fatal{pos, "the document has more than " + std::to_string(limits_.max_values) +
                           " values"};
  }

  // The JSON pointer of a recorded entry, built only when a message needs it.
  std::string pointer_of(std::uint32_t at) const {
    std::vector<std::uint32_t> path;
    for (; at != 0; at = entries_[at].parent) path.push_back(at);
    std::string out;
    for (auto it = path.rbegin(); it != path.rend(); ++it) {
      const PositionEntry& e = entries_[*it];
      out += '/';
      out += e.is_member ? escape_pointer_token(e.name) : std::to_string(e.index);
    }
    return out;
  }

  // Closes a recorded container whose children are kids_[base..]: their indices go to
  // one shared vector, for a large object followed by the same indices sorted by name
  // (see PositionedJson). kids_ is one stack for all open containers, so reading an
  // object allocates no vector of its own.
  void close(std::uint32_t self, std::size_t base) {
    if (!recording_) return;
    const auto first = kids_.begin() + static_cast<std::ptrdiff_t>(base);
    const std::size_t count = kids_.size() - base;
    entries_[self].first_child = static_cast<std::uint32_t>(children_.size());
    entries_[self].child_count = static_cast<std::uint32_t>(count);
    children_.insert(children_.end(), first, kids_.end());
    if (entries_[self].is_object && count > PositionedJson::kScanLimit) {
      auto sorted = children_.insert(children_.end(), first, kids_.end());
      std::sort(sorted, children_.end(),
                [&](std::uint32_t a, std::uint32_t b) { return entries_[a].name < entries_[b].name; });
    }
    kids_.resize(base);
  }

  nlohmann::json value(int depth, const Slot& slot) {
    skip_ws();
    TextPosition pos = here();
    if (at_end()) throw Fatal{pos, "unexpected end of file: expected a value"};
    auto self = static_cast<std::uint32_t>(entries_.size());
    record(slot, pos);
    unsigned char c = peek();
    switch (c) {
      case '{': return object(self, depth + 1);
      case '[': return array(self, depth + 1);
      case '"': return nlohmann::json(string());
      case 't': return literal("true", nlohmann::json(true));
      case 'f': return literal("false", nlohmann::json(false));
      case 'n': return literal("null", nlohmann::json(nullptr));
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return number();
        if (c == ']' || c == '}')
          throw Fatal{pos, "expected a value, found '" + std::string(1, static_cast<char>(c)) + "'"};
        throw Fatal{pos, "expected a value, found " + describe_byte(c)};
    }
  }

  void enter(int depth, TextPosition pos) {
    if (depth > limits_.max_depth)
      throw Fatal{pos, "nesting is deeper than " + std::to_string(limits_.max_depth) + " levels"};
  }

  nlohmann::json object(std::uint32_t self, int depth) {
    TextPosition open = here();
    enter(depth, open);
    after_comma_ = false;
    advance();  // '{'
    if (recording_) entries_[self].is_object = true;
    nlohmann::json obj = nlohmann::json::object();
    skip_ws();
    if (!at_end() && peek() == '}') {
      advance();
      return obj;
    }
    const std::size_t base = kids_.size();
    std::optional<std::unordered_map<std::string, TextPosition>> first_keys;
    for (;;) {
      skip_ws();
      if (at_end()) throw Fatal{here(), unclosed("object", '}', open)};
      if (peek() != '"') {
        if (peek() == '}' && after_comma_)
          throw Fatal{comma_, "trailing comma before '}'"};
        throw Fatal{here(), "expected a field name in double quotes, found " + describe_byte(peek())};
      }
      TextPosition key_pos = here();
      std::string key = string();
      skip_ws();
      if (at_end()) throw Fatal{here(), unclosed("object", '}', open)};
      if (peek() != ':')
        throw Fatal{here(), "expected ':' after field name \"" + key + "\", found " + describe_byte(peek())};
      advance();
      auto& members = obj.get_ref<nlohmann::json::object_t&>();
      // One search per member: reading the value leaves this map alone, so the hint holds.
      auto hint = members.lower_bound(key);
      if (hint != members.end() && hint->first == key) {
        if (recording_) {
          // Where the first one was: an index of this object's keys, made at its first
          // duplicate, so many duplicates cost one pass, not one pass each.
          if (!first_keys) {
            first_keys.emplace();
            for (std::size_t k = base; k < kids_.size(); ++k)
              first_keys->emplace(entries_[kids_[k]].name, entries_[kids_[k]].key);
            steps_ += kids_.size() - base;
          }
          ++steps_;
          auto it = first_keys->find(key);
          TextPosition first = it != first_keys->end() ? it->second : TextPosition{};
          problems_.push_back(JsonProblem{
              key_pos, pointer_of(self) + "/" + escape_pointer_token(key),
              "duplicate field \"" + key + "\" (first written at line " + std::to_string(first.line) +
                  ", column " + std::to_string(first.column) + ")"});
        }
        bool was = recording_;
        recording_ = false;  // keep the first value and its positions
        (void)value(depth, Slot{self, 0, &key, key_pos});
        recording_ = was;
      } else {
        auto child = static_cast<std::uint32_t>(entries_.size());
        nlohmann::json v = value(depth, Slot{self, 0, &key, key_pos});
        if (recording_) kids_.push_back(child);
        if (first_keys) first_keys->emplace(key, key_pos);
        members.emplace_hint(hint, std::move(key), std::move(v));
      }
      skip_ws();
      if (at_end()) throw Fatal{here(), unclosed("object", '}', open)};
      if (peek() == ',') {
        comma_ = here();
        after_comma_ = true;
        advance();
        continue;
      }
      after_comma_ = false;
      if (peek() == '}') {
        advance();
        close(self, base);
        return obj;
      }
      throw Fatal{here(), "expected ',' or '}' after a field, found " + describe_byte(peek())};
    }
  }

  nlohmann::json array(std::uint32_t self, int depth) {
    TextPosition open = here();
    enter(depth, open);
    after_comma_ = false;
    advance();  // '['
    if (recording_) entries_[self].is_array = true;
    nlohmann::json arr = nlohmann::json::array();
    skip_ws();
    if (!at_end() && peek() == ']') {
      advance();
      return arr;
    }
    const std::size_t base = kids_.size();
    for (std::uint32_t index = 0;; ++index) {
      skip_ws();
      if (at_end()) throw Fatal{here(), unclosed("array", ']', open)};
      if (peek() == ']' && after_comma_) throw Fatal{comma_, "trailing comma before ']'"};
      after_comma_ = false;
      auto child = static_cast<std::uint32_t>(entries_.size());
      arr.push_back(value(depth, Slot{self, index, nullptr, {}}));
      if (recording_) kids_.push_back(child);
      skip_ws();
      if (at_end()) throw Fatal{here(), unclosed("array", ']', open)};
      if (peek() == ',') {
        comma_ = here();
        after_comma_ = true;
        advance();
        continue;
      }
      after_comma_ = false;
      if (peek() == ']') {
        advance();
        close(self, base);
        return arr;
      }
      throw Fatal{here(), "expected ',' or ']' after an item, found " + describe_byte(peek())};
    }
  }

  static std::string unclosed(const char* what, char close, TextPosition open) {
    return std::string("unexpected end of file: the ") + what + " opened at line " +
           std::to_string(open.line) + ", column " + std::to_string(open.column) +
           " is not closed with '" + close + "'";
  }

  nlohmann::json literal(std::string_view word, nlohmann::json v) {
    TextPosition pos = here();
    if (s_.substr(i_, word.size()) != word) {
      std::size_t end = i_;
      while (end < s_.size() && end - i_ < 16 && std::isalnum(static_cast<unsigned char>(s_[end])))
        ++end;
      throw Fatal{pos, "unexpected word '" + std::string(s_.substr(i_, end - i_)) +
                           "': strings need double quotes"};
    }
    for (std::size_t k = 0; k < word.size(); ++k) advance();
    after_comma_ = false;
    return v;
  }

  nlohmann::json number() {
    TextPosition pos = here();
    std::size_t start = i_;
    bool is_float = false;
    if (peek() == '-') advance();
    if (at_end() || !std::isdigit(peek())) throw Fatal{pos, "a number needs digits after '-'"};
    if (peek() == '0') {
      advance();
      if (!at_end() && std::isdigit(peek())) throw Fatal{pos, "numbers must not have leading zeros"};
    } else {
      while (!at_end() && std::isdigit(peek())) advance();
    }
    if (!at_end() && peek() == '.') {
      is_float = true;
      advance();
      if (at_end() || !std::isdigit(peek())) throw Fatal{here(), "expected digits after '.'"};
      while (!at_end() && std::isdigit(peek())) advance();
    }
    if (!at_end() && (peek() == 'e' || peek() == 'E')) {
      is_float = true;
      advance();
      if (!at_end() && (peek() == '+' || peek() == '-')) advance();
      if (at_end() || !std::isdigit(peek())) throw Fatal{here(), "expected digits in the exponent"};
      while (!at_end() && std::isdigit(peek())) advance();
    }
    std::string_view text = s_.substr(start, i_ - start);
    if (!is_float) {
      std::int64_t v = 0;
      auto r = std::from_chars(text.data(), text.data() + text.size(), v);
      if (r.ec == std::errc() && r.ptr == text.data() + text.size()) return nlohmann::json(v);
      std::uint64_t u = 0;
      r = std::from_chars(text.data(), text.data() + text.size(), u);
      if (r.ec == std::errc() && r.ptr == text.data() + text.size()) return nlohmann::json(u);
    }
    std::string copy(text);
    double d = std::strtod(copy.c_str(), nullptr);
    if (!std::isfinite(d)) throw Fatal{pos, "number " + copy.substr(0, 40) + " is too large"};
    return nlohmann::json(d);
  }

  // Reads a string token (opening quote at i_), validating escapes and UTF-8.
  std::string string() {
    TextPosition open = here();
    advance();  // '"'
    std::string out;
    for (;;) {
      if (at_end()) throw Fatal{open, "unexpected end of file inside the string opened here"};
      if (out.size() > limits_.max_string_bytes)
        throw Fatal{open, "string is longer than " + std::to_string(limits_.max_string_bytes) +
                              " bytes"};
      unsigned char c = peek();
      if (c == '"') {
        advance();
        return out;
      }
      if (c < 0x20)
        throw Fatal{here(), "control character " + describe_byte(c) +
                                " inside a string (write it as an escape such as \\n)"};
      if (c == '\\') {
        escape(out);
        continue;
      }
      if (c < 0x80) {
        // A run of plain ASCII at once: no newline can be in it, so the column moves by
        // its length. The run stops one byte past the length limit, as the byte-wise
        // loop would, so the same message is given at the same place.
        std::size_t room = limits_.max_string_bytes + 1 - out.size();
        std::size_t end = i_;
        while (end < s_.size() && end - i_ < room) {
          auto b = static_cast<unsigned char>(s_[end]);
          if (b < 0x20 || b >= 0x80 || b == '"' || b == '\\') break;
          ++end;
        }
        out.append(s_.data() + i_, end - i_);
        col_ += static_cast<int>(end - i_);
        i_ = end;
        continue;
      }
      utf8_sequence(out);
    }
  }

  void escape(std::string& out) {
    TextPosition pos = here();
    advance();  // '\'
    if (at_end()) throw Fatal{pos, "unexpected end of file inside an escape"};
    char e = static_cast<char>(peek());
    advance();
    switch (e) {
      case '"': out += '"'; return;
      case '\\': out += '\\'; return;
      case '/': out += '/'; return;
      case 'b': out += '\b'; return;
      case 'f': out += '\f'; return;
      case 'n': out += '\n'; return;
      case 'r': out += '\r'; return;
      case 't': out += '\t'; return;
      case 'u': break;
      default: throw Fatal{pos, "unknown escape '\\" + std::string(1, e) + "' in a string"};
    }
    std::uint32_t cp = hex4(pos);
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (s_.substr(i_, 2) != "\\u") throw Fatal{pos, "unpaired UTF-16 surrogate in \\u escape"};
      advance();
      advance();
      std::uint32_t low = hex4(pos);
      if (low < 0xDC00 || low > 0xDFFF) throw Fatal{pos, "unpaired UTF-16 surrogate in \\u escape"};
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
      throw Fatal{pos, "unpaired UTF-16 surrogate in \\u escape"};
    }
    append_utf8(out, cp);
  }

  std::uint32_t hex4(TextPosition pos) {
    std::uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      if (at_end() || !std::isxdigit(peek())) throw Fatal{pos, "\\u must be followed by 4 hex digits"};
      char h = static_cast<char>(peek());
      v = v * 16 + static_cast<std::uint32_t>(std::isdigit(static_cast<unsigned char>(h))
                                                  ? h - '0'
                                                  : (std::tolower(static_cast<unsigned char>(h)) - 'a' + 10));
      advance();
    }
    return v;
  }

  static void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  // One multi-byte UTF-8 character, checked for shortest form and the Unicode range.
  void utf8_sequence(std::string& out) {
    TextPosition pos = here();
    unsigned char c = peek();
    int extra = 0;
    std::uint32_t cp = 0;
    if (c >= 0xC2 && c <= 0xDF) { extra = 1; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { extra = 2; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { extra = 3; cp = c & 0x07; }
    else throw Fatal{pos, "invalid UTF-8 " + describe_byte(c) + " in a string"};
    std::size_t start = i_;
    for (int k = 1; k <= extra; ++k) {
      std::size_t j = start + static_cast<std::size_t>(k);
      if (j >= s_.size() || (static_cast<unsigned char>(s_[j]) & 0xC0) != 0x80)
        throw Fatal{pos, "invalid UTF-8 sequence starting with " + describe_byte(c) + " in a string"};
      cp = (cp << 6) | (static_cast<unsigned char>(s_[j]) & 0x3F);
    }
    bool overlong = (extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      throw Fatal{pos, "invalid UTF-8 sequence starting with " + describe_byte(c) + " in a string"};
    for (int k = 0; k <= extra; ++k) {
      out += s_[i_];
      advance();
    }
  }

  std::string_view s_;
  JsonLimits limits_;
  std::size_t i_ = 0;
  int line_ = 1;
  int col_ = 1;
  std::size_t values_ = 0;
  std::uint64_t steps_ = 0;  // name comparisons finding duplicates' first positions
  bool recording_ = true;
  bool after_comma_ = false;
  TextPosition comma_;
  std::vector<JsonProblem> problems_;
  std::vector<PositionEntry> entries_;
  std::vector<std::uint32_t> children_;
  std::vector<std::uint32_t> kids_;  // children of the open containers, innermost last
};

}  // namespace

JsonReadResult read_json_with_positions(std::string_view text, const JsonLimits& limits) {
  return Reader(text, limits).run();
}

}  // namespace lvs::model
