#include "model/schema_check.h"

#include <algorithm>
#include <cerrno>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "common/file_io.h"
#include "model/json_positions.h"
#include "model/schema_fast.h"

namespace lvs::model {
namespace {

// Ours is about 30 KiB; the cap only stops a wrong path (a log, a device) early.
constexpr std::size_t kMaxSchemaBytes = 4 * kMiB;

struct LoadedSchema {
  nlohmann::json document;
  valijson::Schema schema;
  std::optional<FastSchema> fast;  // nullopt: the schema uses what it does not implement
};

Result<const LoadedSchema*> load_schema(const std::string& path) {
  // Parsing the schema costs far more than validating a descriptor: keep one per path.
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<LoadedSchema>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(path);
  if (it != cache.end()) return static_cast<const LoadedSchema*>(it->second.get());

  std::string text;
  if (path.empty()) {
    text = builtin_schema_text();
  } else {
    auto file = read_file_capped(path, kMaxSchemaBytes, "it");
    if (!file) return Error{file.error().code, "cannot read the schema " + path + ": " + file.error().message};
    text = std::move(*file);
  }
  const std::string name = path.empty() ? "compiled into this program" : path;
  auto loaded = std::make_unique<LoadedSchema>();
  try {
    loaded->document = nlohmann::json::parse(text);
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::NlohmannJsonAdapter adapter(loaded->document);
    parser.populateSchema(adapter, loaded->schema);
    loaded->fast = FastSchema::compile(loaded->document);
  } catch (const std::exception& e) {
    return Error{0, "the schema " + name + " is not usable: " + e.what()};
  }
  const LoadedSchema* raw = loaded.get();
  cache.emplace(path, std::move(loaded));
  return raw;
}

// Follows local "$ref": "#/definitions/x" references.
const nlohmann::json* resolve(const nlohmann::json& root, const nlohmann::json* node) {
  for (int hops = 0; node && hops < 16; ++hops) {
    if (!node->is_object()) return node;
    auto ref = node->find("$ref");
    if (ref == node->end() || !ref->is_string()) return node;
    std::string target = ref->get<std::string>();
    if (target.rfind("#", 0) != 0) return nullptr;
    try {
      node = &root.at(nlohmann::json::json_pointer(target.substr(1)));
    } catch (const std::exception&) {
      return nullptr;
    }
  }
  return node;
}

// The instance pointer for valijson's context ("<root>", "[services]", "[3]", ...),
// and the instance value and schema node found there.
struct Located {
  std::string pointer;
  const nlohmann::json* value = nullptr;
  const nlohmann::json* schema = nullptr;
};

Located locate(const nlohmann::json& doc, const nlohmann::json& schema_root,
               const std::vector<std::string>& context) {
  Located at{"", &doc, resolve(schema_root, &schema_root)};
  for (const auto& part : context) {
    if (part == "<root>") continue;
    std::string token = part;
    if (token.size() >= 2 && token.front() == '[' && token.back() == ']')
      token = token.substr(1, token.size() - 2);
    const nlohmann::json* next_value = nullptr;
    const nlohmann::json* next_schema = nullptr;
    if (at.value && at.value->is_array()) {
      std::size_t index = 0;
      try {
        index = static_cast<std::size_t>(std::stoul(token));
      } catch (const std::exception&) {
        index = at.value->size();
      }
      if (index < at.value->size()) next_value = &(*at.value)[index];
      if (at.schema && at.schema->is_object() && at.schema->contains("items"))
        next_schema = &(*at.schema)["items"];
    } else if (at.value && at.value->is_object()) {
      auto it = at.value->find(token);
      if (it != at.value->end()) next_value = &*it;
      if (at.schema && at.schema->is_object()) {
        auto props = at.schema->find("properties");
        if (props != at.schema->end() && props->contains(token)) next_schema = &(*props)[token];
        else if (at.schema->contains("additionalProperties") &&
                 (*at.schema)["additionalProperties"].is_object())
          next_schema = &(*at.schema)["additionalProperties"];
      }
    }
    at.pointer += "/" + escape_pointer_token(token);
    at.value = next_value;
    at.schema = resolve(schema_root, next_schema);
  }
  return at;
}

std::string show_value(const nlohmann::json& v) {
  std::string s = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

std::string describe_type(const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::string: return "the string " + show_value(v);
    case nlohmann::json::value_t::boolean: return "the boolean " + show_value(v);
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::object: return "an object";
    case nlohmann::json::value_t::array: return "an array";
    case nlohmann::json::value_t::number_float: return "the number " + show_value(v);
    default: return "the integer " + show_value(v);
  }
}

std::string type_noun(const std::string& t) {
  if (t == "integer") return "an integer";
  if (t == "object") return "an object";
  if (t == "array") return "an array";
  if (t == "null") return "null";
  return "a " + t;
}

std::string expected_types(const nlohmann::json* schema) {
  if (!schema || !schema->is_object() || !schema->contains("type")) return "another type";
  const auto& t = (*schema)["type"];
  if (t.is_string()) return type_noun(t.get<std::string>());
  std::string out;
  for (std::size_t k = 0; t.is_array() && k < t.size(); ++k) {
    if (k) out += " or ";
    out += type_noun(t[k].get<std::string>());
  }
  return out;
}

std::string number_text(const nlohmann::json* schema, const char* key, const std::string& fallback) {
  if (schema && schema->is_object() && schema->contains(key)) return (*schema)[key].dump();
  return fallback;
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string suggestion(const std::string& key, const nlohmann::json* schema) {
  if (!schema || !schema->is_object() || !schema->contains("properties") || key.size() > 64) return "";
  std::string best;
  std::size_t best_d = 3;
  for (const auto& [name, _] : (*schema)["properties"].items()) {
    std::size_t d = edit_distance(key, name);
    bool prefix = key.size() >= 3 && name.rfind(key, 0) == 0;
    if (prefix) d = std::min<std::size_t>(d, 1);
    if (d < best_d) {
      best_d = d;
      best = name;
    }
  }
  return best.empty() ? "" : " (did you mean \"" + best + "\"?)";
}

std::string first_number_in(const std::string& text) {
  auto b = text.find_first_of("0123456789");
  if (b == std::string::npos) return "";
  auto e = text.find_first_not_of("0123456789", b);
  return text.substr(b, e == std::string::npos ? std::string::npos : e - b);
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// Turns one valijson leaf error into zero or more problems (unknown fields: one per field).
void translate(const valijson::ValidationResults::Error& error, const nlohmann::json& doc,
               const nlohmann::json& schema_root, std::vector<SchemaProblem>& out) {
  const std::string& d = error.description;
  // valijson also reports every ancestor of a failure; the leaf already says it all.
  if (starts_with(d, "Failed to validate item #") ||
      starts_with(d, "Failed to validate against schema associated with property name") ||
      starts_with(d, "Failed to validate against additional properties schema") ||
      starts_with(d, "Failed to validate against schema associated with pattern") ||
      starts_with(d, "Cannot validate item #"))
    return;
  Located at = locate(doc, schema_root, error.context);
  const nlohmann::json* v = at.value;
  const nlohmann::json* s = at.schema;
  auto add = [&](std::string pointer, std::string message, bool at_key = false) {
    out.push_back(SchemaProblem{std::move(pointer), at_key, std::move(message)});
  };

  if (starts_with(d, "Value type not permitted")) {
    add(at.pointer, "expected " + expected_types(s) + ", found " + (v ? describe_type(*v) : "another type"));
  } else if (starts_with(d, "Failed to match against any enum values")) {
    std::string allowed;
    if (s && s->contains("enum"))
      for (const auto& e : (*s)["enum"]) {
        if (!allowed.empty()) allowed += ", ";
        allowed += e.is_string() ? e.get<std::string>() : e.dump();
      }
    add(at.pointer, (v ? show_value(*v) + " is not allowed: " : std::string()) + "must be one of " + allowed);
  } else if (starts_with(d, "Expected number less than or equal to")) {
    add(at.pointer, (v ? show_value(*v) : "the value") + " is above the maximum " +
                        number_text(s, "maximum", first_number_in(d)));
  } else if (starts_with(d, "Expected number less than")) {
    add(at.pointer, (v ? show_value(*v) : "the value") + " must be below " +
                        number_text(s, "exclusiveMaximum", first_number_in(d)));
  } else if (starts_with(d, "Expected number greater than or equal to")) {
    add(at.pointer, (v ? show_value(*v) : "the value") + " is below the minimum " +
                        number_text(s, "minimum", first_number_in(d)));
  } else if (starts_with(d, "Expected number greater than")) {
    add(at.pointer, (v ? show_value(*v) : "the value") + " must be above " +
                        number_text(s, "exclusiveMinimum", first_number_in(d)));
  } else if (starts_with(d, "Missing required property '")) {
    std::string name = d.substr(27);
    auto q = name.find('\'');
    if (q != std::string::npos) name = name.substr(0, q);
    add(at.pointer, "missing required field \"" + name + "\"");
  } else if (starts_with(d, "Object contains a property that could not be validated")) {
    // valijson names only the first; report every unknown member.
    std::set<std::string> known;
    if (s && s->contains("properties"))
      for (const auto& [name, _] : (*s)["properties"].items()) known.insert(name);
    bool any = false;
    if (v && v->is_object())
      for (const auto& [key, _] : v->items())
        if (!known.count(key)) {
          any = true;
          add(at.pointer + "/" + escape_pointer_token(key),
              "unknown field \"" + key + "\"" + suggestion(key, s), true);
        }
    if (!any) add(at.pointer, "has an unknown field");
  } else if (starts_with(d, "Array should contain no fewer than")) {
    std::string n = first_number_in(d);
    add(at.pointer, "needs at least " + n + (n == "1" ? " item" : " items") +
                        (v && v->is_array() ? ", found " + std::to_string(v->size()) : ""));
  } else if (starts_with(d, "Array should contain no more than")) {
    std::string n = first_number_in(d);
    add(at.pointer, "allows at most " + n + " items" +
                        (v && v->is_array() ? ", found " + std::to_string(v->size()) : ""));
  } else if (starts_with(d, "String should be no fewer than")) {
    std::string n = first_number_in(d);
    add(at.pointer, n == "1" ? "must not be empty" : "must be at least " + n + " characters long");
  } else if (starts_with(d, "String should be no more than")) {
    add(at.pointer, "is longer than " + first_number_in(d) + " characters");
  } else if (starts_with(d, "Value should be a multiple of")) {
    add(at.pointer, (v ? show_value(*v) : "the value") + " is not a multiple of " +
                        number_text(s, "multipleOf", first_number_in(d)));
  } else if (starts_with(d, "Failed to match regex")) {
    std::string what = s && s->contains("description") && (*s)["description"].is_string()
                           ? (*s)["description"].get<std::string>()
                           : "the required form";
    if (!what.empty() && what.back() == '.') what.pop_back();
    add(at.pointer, (v ? show_value(*v) : "the value") + " is not valid here; expected " +
                        std::string(1, static_cast<char>(std::tolower(static_cast<unsigned char>(what[0])))) +
                        what.substr(1));
  } else if (starts_with(d, "Elements at indexes #")) {
    std::string rest = d.substr(21);
    std::string a = first_number_in(rest);
    std::string b = first_number_in(rest.substr(rest.find(a) + a.size()));
    add(at.pointer, "items " + a + " and " + b + " are the same; each may appear once");
  } else {
    add(at.pointer, d);
  }
}

}  // namespace

bool schema_has_fast_check(const std::string& schema_path) {
  auto loaded = load_schema(schema_path);
  return loaded && (*loaded)->fast.has_value();
}

Result<std::vector<SchemaProblem>> check_against_schema(const nlohmann::json& document,
                                                        const std::string& schema_path, SchemaEngine engine) {
  auto loaded = load_schema(schema_path);
  if (!loaded) return loaded.error();
  const LoadedSchema& ls = **loaded;
  // A valid document has no problems to report: the fast check saying so is enough.
  if (engine == SchemaEngine::fast_then_valijson && ls.fast && ls.fast->surely_valid(document))
    return std::vector<SchemaProblem>{};
  valijson::Validator validator(valijson::Validator::kStrongTypes);
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter target(document);
  std::vector<SchemaProblem> out;
  bool valid = false;
  try {
    valid = validator.validate(ls.schema, target, &results);
  } catch (const std::exception& e) {
    out.push_back(SchemaProblem{"", false, std::string("schema validation failed: ") + e.what()});
    return out;
  }
  valijson::ValidationResults::Error error;
  while (results.popError(error)) translate(error, document, ls.document, out);
  if (!valid && out.empty())
    out.push_back(SchemaProblem{"", false, "the document does not match the schema", true});
  // Identical problems arise when valijson reaches one place by two paths.
  std::vector<SchemaProblem> unique;
  std::set<std::pair<std::string, std::string>> seen;
  for (auto& p : out)
    if (seen.insert({p.pointer, p.message}).second) unique.push_back(std::move(p));
  return unique;
}

}  // namespace lvs::model
