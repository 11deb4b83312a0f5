#pragma once
// Checks a document against schemas/cluster.schema.json with valijson and turns
// valijson's errors into JSON pointers and operator words.
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace lvs::model {

struct SchemaProblem {
  std::string pointer;  // where the problem is (the member, for unknown fields)
  bool at_key = false;  // the position to show is the member's key, not its value
  std::string message;  // e.g. "70000 is above the maximum 65535"
  // valijson failed without saying where (e.g. propertyNames); the model's own checks
  // usually say more, so the loader shows this only when nothing else was found.
  bool unspecific = false;
};

// schemas/cluster.schema.json as it was at build time (generated builtin_schema.cpp).
std::string_view builtin_schema_text();

// Which checker decides.
enum class SchemaEngine {
  fast_then_valijson,  // schema_fast.h first; valijson only when that is not sure (a failure)
  valijson,            // valijson alone: the reference the tests compare the fast one with
};

// Loads (and caches by path) the schema, then validates `document`. An empty path is
// the compiled-in schema. An Error means the schema itself could not be read or parsed.
Result<std::vector<SchemaProblem>> check_against_schema(const nlohmann::json& document,
                                                        const std::string& schema_path,
                                                        SchemaEngine engine = SchemaEngine::fast_then_valijson);
// Whether the fast checker runs for this schema (it compiled); false on a load error.
bool schema_has_fast_check(const std::string& schema_path);

}  // namespace lvs::model
