#include "model/schema_fast.h"

#include <cctype>
#include <cstdint>
#include <limits>
#include <set>

#include <valijson/utils/utf8_utils.hpp>

namespace lvs::model {
namespace {

enum : unsigned {
  kString = 1,
  kInteger = 2,
  kNumber = 4,
  kBoolean = 8,
  kNull = 16,
  kObject = 32,
  kArray = 64,
};

std::optional<unsigned> type_bit(const std::string& name) {
  if (name == "string") return kString;
  if (name == "integer") return kInteger;
  if (name == "number") return kNumber;
  if (name == "boolean") return kBoolean;
  if (name == "null") return kNull;
  if (name == "object") return kObject;
  if (name == "array") return kArray;
  return std::nullopt;
}

// What valijson (kStrongTypes) accepts for each type: no conversions.
bool has_type(unsigned types, const nlohmann::json& v) {
  if (types == 0) return true;
  return ((types & kString) && v.is_string()) || ((types & kInteger) && v.is_number_integer()) ||
         ((types & kNumber) && v.is_number()) || ((types & kBoolean) && v.is_boolean()) ||
         ((types & kNull) && v.is_null()) || ((types & kObject) && v.is_object()) ||
         ((types & kArray) && v.is_array());
}

// Keywords that only describe: they constrain nothing.
bool annotation(const std::string& key) {
  static const std::set<std::string> words{"description", "default", "title",   "$schema",
                                           "$id",         "$comment", "examples", "definitions"};
  return words.count(key) != 0;
}

constexpr int kMaxDepth = 128;  // deeper than the loader allows (64): never reached
constexpr std::size_t kMaxUniquePairs = 256;  // longer arrays with uniqueItems: valijson decides

}  // namespace

std::optional<SimplePattern> SimplePattern::parse(const std::string& p) {
  auto plain = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '/' || c == ':' || c == '-'; };
  if (p.empty() || p[0] != '^') return std::nullopt;  // unanchored: a search anywhere
  SimplePattern out;
  std::size_t i = 1;
  while (i < p.size()) {
    if (p[i] == '$') {
      if (i + 1 != p.size()) return std::nullopt;
      out.to_end_ = true;
      break;
    }
    if (out.tail_) return std::nullopt;  // only the last item may repeat
    CharSet set{};
    if (p[i] == '[') {
      ++i;
      if (i >= p.size() || p[i] == '^' || p[i] == ']') return std::nullopt;
      while (i < p.size() && p[i] != ']') {
        const char c = p[i];
        const bool dash_literal = c == '-' && (p[i - 1] == '[' || (i + 1 < p.size() && p[i + 1] == ']'));
        if (!(plain(c) || c == '.') || (c == '-' && !dash_literal)) return std::nullopt;
        if (i + 2 < p.size() && p[i + 1] == '-' && p[i + 2] != ']') {
          const char hi = p[i + 2];
          if (!std::isalnum(static_cast<unsigned char>(c)) || !std::isalnum(static_cast<unsigned char>(hi)) || hi < c)
            return std::nullopt;
          for (int x = c; x <= hi; ++x) set[static_cast<unsigned char>(x)] = true;
          i += 3;
          continue;
        }
        set[static_cast<unsigned char>(c)] = true;
        ++i;
      }
      if (i >= p.size()) return std::nullopt;
      ++i;  // ']'
    } else if (plain(p[i]) && p[i] != '-') {
      set[static_cast<unsigned char>(p[i])] = true;
      ++i;
    } else {
      return std::nullopt;  // '.', escapes, groups, alternatives: std::regex
    }
    if (i < p.size() && (p[i] == '*' || p[i] == '+')) {
      out.tail_ = set;
      out.tail_at_least_one_ = p[i] == '+';
      ++i;
    } else if (i < p.size() && (p[i] == '?' || p[i] == '{')) {
      return std::nullopt;
    } else {
      out.fixed_.push_back(set);
    }
  }
  return out;
}

bool SimplePattern::search(const std::string& text) const {
  if (text.size() < fixed_.size()) return false;
  std::size_t i = 0;
  for (; i < fixed_.size(); ++i)
    if (!fixed_[i][static_cast<unsigned char>(text[i])]) return false;
  if (tail_) {
    std::size_t n = 0;
    while (i + n < text.size() && (*tail_)[static_cast<unsigned char>(text[i + n])]) ++n;
    if (tail_at_least_one_ && n == 0) return false;
    return !to_end_ || i + n == text.size();
  }
  return !to_end_ || i == text.size();
}

class FastSchema::Compiler {
 public:
  explicit Compiler(const nlohmann::json& root) : root_(root) {}

  // The node for `schema`; -1 when it uses something not implemented.
  int node(const nlohmann::json& schema) {
    if (auto it = done_.find(&schema); it != done_.end()) return it->second;
    if (!schema.is_object()) return -1;  // true/false schemas: not used, not implemented
    if (auto ref = schema.find("$ref"); ref != schema.end()) {
      // Draft 7 ignores a $ref's siblings; valijson might not: only annotations may stand beside it.
      for (const auto& [key, _] : schema.items())
        if (key != "$ref" && !annotation(key)) return -1;
      const nlohmann::json* target = resolve(*ref);
      if (!target) return -1;
      const int n = node(*target);
      done_[&schema] = n;
      return n;
    }
    const int n = static_cast<int>(out.size());
    done_[&schema] = n;  // before the children: a schema may refer to itself
    out.emplace_back();
    Node made;
    for (const auto& [key, value] : schema.items()) {
      if (annotation(key)) continue;
      if (!keyword(made, key, value)) return -1;
    }
    out[n] = std::move(made);
    return n;
  }

  std::vector<Node> out;

 private:
  const nlohmann::json* resolve(const nlohmann::json& ref) const {
    if (!ref.is_string()) return nullptr;
    const std::string target = ref.get<std::string>();
    if (target.rfind("#", 0) != 0) return nullptr;
    try {
      return &root_.at(nlohmann::json::json_pointer(target.substr(1)));
    } catch (const std::exception&) {
      return nullptr;
    }
  }

  static std::optional<std::uint64_t> count(const nlohmann::json& v) {
    if (!v.is_number_unsigned()) return std::nullopt;
    return v.get<std::uint64_t>();
  }

  bool keyword(Node& made, const std::string& key, const nlohmann::json& value) {
    if (key == "type") {
      if (value.is_string()) {
        auto bit = type_bit(value.get<std::string>());
        if (!bit) return false;
        made.types = *bit;
        return true;
      }
      if (!value.is_array() || value.empty()) return false;
      for (const auto& t : value) {
        auto bit = t.is_string() ? type_bit(t.get<std::string>()) : std::nullopt;
        if (!bit) return false;
        made.types |= *bit;
      }
      return true;
    }
    if (key == "enum") {
      if (!value.is_array()) return false;
      for (const auto& e : value) {
        if (!e.is_string()) return false;  // only string enums are implemented
        made.enum_strings.push_back(e.get<std::string>());
      }
      made.has_enum = true;
      return true;
    }
    if (key == "minimum" || key == "maximum") {
      if (!value.is_number()) return false;
      (key == "minimum" ? made.minimum : made.maximum) = value.get<double>();
      return true;
    }
    if (key == "minLength" || key == "maxLength" || key == "minItems" || key == "maxItems") {
      auto n = count(value);
      if (!n) return false;
      (key == "minLength"   ? made.min_length
       : key == "maxLength" ? made.max_length
       : key == "minItems"  ? made.min_items
                            : made.max_items) = *n;
      return true;
    }
    if (key == "pattern") {
      if (!value.is_string()) return false;
      try {
        made.pattern.emplace(value.get<std::string>());  // as valijson makes it: ECMAScript
        made.simple_pattern = SimplePattern::parse(value.get<std::string>());
      } catch (const std::regex_error&) {
        return false;
      }
      return true;
    }
    if (key == "uniqueItems") {
      if (!value.is_boolean()) return false;
      made.unique_items = value.get<bool>();
      return true;
    }
    if (key == "items") {
      if (value.is_array()) {
        made.tuple.emplace();
        for (const auto& s : value) {
          const int n = node(s);
          if (n < 0) return false;
          made.tuple->push_back(n);
        }
        return true;
      }
      made.items = node(value);
      return made.items >= 0;
    }
    if (key == "additionalItems") {
      made.additional_items = node(value);
      return made.additional_items >= 0;
    }
    if (key == "properties") {
      if (!value.is_object()) return false;
      for (const auto& [name, s] : value.items()) {
        const int n = node(s);
        if (n < 0) return false;
        made.properties.emplace(name, n);
      }
      return true;
    }
    if (key == "required") {
      if (!value.is_array()) return false;
      for (const auto& r : value) {
        if (!r.is_string()) return false;
        made.required.push_back(r.get<std::string>());
      }
      return true;
    }
    if (key == "additionalProperties") {
      if (value.is_boolean()) {
        made.no_additional_properties = !value.get<bool>();
        return true;
      }
      made.additional_properties = node(value);
      return made.additional_properties >= 0;
    }
    if (key == "propertyNames") {
      made.property_names = node(value);
      return made.property_names >= 0;
    }
    return false;  // anything else: not implemented, valijson alone
  }

  const nlohmann::json& root_;
  std::map<const nlohmann::json*, int> done_;
};

std::optional<FastSchema> FastSchema::compile(const nlohmann::json& schema) {
  Compiler c(schema);
  if (c.node(schema) != 0) return std::nullopt;
  FastSchema out;
  out.nodes_ = std::move(c.out);
  return out;
}

bool FastSchema::surely_valid(const nlohmann::json& document) const {
  if (nodes_.empty()) return false;
  try {
    return check(0, document, 0);
  } catch (const std::exception&) {
    return false;  // e.g. std::regex giving up on a long string: valijson decides
  }
}

bool FastSchema::check(int index, const nlohmann::json& v, int depth) const {
  if (depth > kMaxDepth) return false;
  const Node& s = nodes_[static_cast<std::size_t>(index)];
  if (!has_type(s.types, v)) return false;
  if (s.has_enum) {
    if (!v.is_string()) return false;
    const auto& text = v.get_ref<const std::string&>();
    bool found = false;
    for (const auto& e : s.enum_strings) found = found || e == text;
    if (!found) return false;
  }
  if (v.is_number()) {
    // valijson compares as double; an unsigned above INT64_MAX it may read otherwise.
    if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return false;
    const double d = v.get<double>();
    if (s.minimum && d < *s.minimum) return false;
    if (s.maximum && d > *s.maximum) return false;
  } else if (v.is_string()) {
    const auto& text = v.get_ref<const std::string&>();
    if (s.min_length || s.max_length) {
      const std::uint64_t n = valijson::utils::u8_strlen(text.c_str());  // valijson's own count
      if (s.min_length && n < *s.min_length) return false;
      if (s.max_length && n > *s.max_length) return false;
    }
    if (s.simple_pattern ? !s.simple_pattern->search(text) : s.pattern && !std::regex_search(text, *s.pattern))
      return false;
  } else if (v.is_array()) {
    const std::size_t n = v.size();
    if (s.min_items && n < *s.min_items) return false;
    if (s.max_items && n > *s.max_items) return false;
    if (s.unique_items && n > 1) {
      // nlohmann's == is looser than valijson's strict equality (1 == 1.0), so no pair
      // equal here means no pair equal there.
      if (n > kMaxUniquePairs) return false;
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = i + 1; j < n; ++j)
          if (v[i] == v[j]) return false;
    }
    for (std::size_t i = 0; i < n; ++i) {
      int item = s.items;
      if (s.tuple) item = i < s.tuple->size() ? (*s.tuple)[i] : s.additional_items;
      if (item >= 0 && !check(item, v[i], depth + 1)) return false;
    }
  } else if (v.is_object()) {
    for (const auto& r : s.required)
      if (!v.contains(r)) return false;
    for (const auto& [key, member] : v.items()) {
      if (s.property_names >= 0 && !check(s.property_names, nlohmann::json(key), depth + 1)) return false;
      auto p = s.properties.find(key);
      if (p != s.properties.end()) {
        if (!check(p->second, member, depth + 1)) return false;
      } else if (s.no_additional_properties) {
        return false;
      } else if (s.additional_properties >= 0 && !check(s.additional_properties, member, depth + 1)) {
        return false;
      }
    }
  }
  return true;
}

}  // namespace lvs::model
