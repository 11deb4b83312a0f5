// libFuzzer target for the descriptor loader: any input must give diagnostics or a model,
// never a crash, a hang or undefined behaviour. A model that loads must also survive
// serialise -> load unchanged (the round-trip property of the unit tests, on fuzzed input).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "model/loader.h"
#include "model/model_to_json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
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
