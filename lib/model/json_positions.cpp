#include "model/json_positions.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

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

TextPosition PositionedJson::position_of(const std::string& pointer) const {
  std::string p = pointer;
  for (;;) {
    auto it = value_at.find(p);
    if (it != value_at.end()) return it->second;
    if (p.empty()) return {};
    p = parent_pointer(p);
  }
}

TextPosition PositionedJson::key_position_of(const std::string& pointer) const {
  auto it = key_at.find(pointer);
  if (it != key_at.end()) return it->second;
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
      out.value = value("", 0);
      skip_ws();
      if (!at_end())
        throw Fatal{here(), "unexpected " + describe_byte(peek()) + " after the end of the document"};
      out.value_at = std::move(value_at_);
      out.key_at = std::move(key_at_);
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
    while (!at_end()) {
      char c = s_[i_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
      advance();
    }
  }

  void record(const std::string& pointer, TextPosition pos) {
    if (recording_) value_at_.emplace(pointer, pos);
    if (++values_ > limits_.max_values)
      throw Fatal{pos, "the document has more than " + std::to_string(limits_.max_values) +
                           " values"};
  }

  nlohmann::json value(const std::string& pointer, int depth) {
    skip_ws();
    TextPosition pos = here();
    if (at_end()) throw Fatal{pos, "unexpected end of file: expected a value"};
    record(pointer, pos);
    unsigned char c = peek();
    switch (c) {
      case '{': return object(pointer, depth + 1);
      case '[': return array(pointer, depth + 1);
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

  nlohmann::json object(const std::string& pointer, int depth) {
    TextPosition open = here();
    enter(depth, open);
    after_comma_ = false;
    advance();  // '{'
    nlohmann::json obj = nlohmann::json::object();
    skip_ws();
    if (!at_end() && peek() == '}') {
      advance();
      return obj;
    }
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
      std::string child = pointer + "/" + escape_pointer_token(key);
      if (obj.contains(key)) {
        if (recording_) {
          TextPosition first = key_at_[child];
          problems_.push_back(JsonProblem{
              key_pos, child,
              "duplicate field \"" + key + "\" (first written at line " + std::to_string(first.line) +
                  ", column " + std::to_string(first.column) + ")"});
        }
        bool was = recording_;
        recording_ = false;  // keep the first value and its positions
        (void)value(child, depth);
        recording_ = was;
      } else {
        if (recording_) key_at_.emplace(child, key_pos);
        obj[key] = value(child, depth);
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
        return obj;
      }
      throw Fatal{here(), "expected ',' or '}' after a field, found " + describe_byte(peek())};
    }
  }

  nlohmann::json array(const std::string& pointer, int depth) {
    TextPosition open = here();
    enter(depth, open);
    after_comma_ = false;
    advance();  // '['
    nlohmann::json arr = nlohmann::json::array();
    skip_ws();
    if (!at_end() && peek() == ']') {
      advance();
      return arr;
    }
    for (std::size_t index = 0;; ++index) {
      skip_ws();
      if (at_end()) throw Fatal{here(), unclosed("array", ']', open)};
      if (peek() == ']' && after_comma_) throw Fatal{comma_, "trailing comma before ']'"};
      after_comma_ = false;
      arr.push_back(value(pointer + "/" + std::to_string(index), depth));
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
        out += static_cast<char>(c);
        advance();
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
  bool recording_ = true;
  bool after_comma_ = false;
  TextPosition comma_;
  std::vector<JsonProblem> problems_;
  std::unordered_map<std::string, TextPosition> value_at_;
  std::unordered_map<std::string, TextPosition> key_at_;
};

}  // namespace

JsonReadResult read_json_with_positions(std::string_view text, const JsonLimits& limits) {
  return Reader(text, limits).run();
}

}  // namespace lvs::model
