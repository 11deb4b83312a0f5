// libFuzzer target for the descriptor loader: any input must give diagnostics or a model,
// never a crash, a hang or undefined behaviour. A model that loads must also survive
// serialise -> load unchanged (the round-trip property of the unit tests, on fuzzed input),
// and the fast schema check must agree with valijson.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "model/json_positions.h"
#include "model/loader.h"
#include "model/model_to_json.h"
#include "model/schema_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // The fast schema check may vouch only for what valijson, the reference, accepts.
  if (auto read = lvs::model::read_json_with_positions(text, lvs::model::JsonLimits{}); read.json) {
    const std::string schema = lvs::model::find_schema_path({});
    auto fast = lvs::model::check_against_schema(read.json->value, schema);
    auto slow = lvs::model::check_against_schema(read.json->value, schema, lvs::model::SchemaEngine::valijson);
    if (fast && slow && fast->empty() != slow->empty()) std::abort();
  }
  lvs::model::LoadResult first = lvs::model::load_cluster_text(text, "fuzz.json");
  for (const auto& d : first.diagnostics) (void)d.to_string();
  if (first.read_failed) std::abort();  // the schema must always be found in a fuzz run
  if (!first.ok()) return 0;
  std::string again = lvs::model::to_json(*first.cluster).dump(-1, ' ', false,
                                                                nlohmann::json::error_handler_t::replace);
  lvs::model::LoadResult second = lvs::model::load_cluster_text(again, "fuzz-roundtrip.json");
  if (!second.ok() || !(*second.cluster == *first.cluster)) std::abort();
  return 0;
}
