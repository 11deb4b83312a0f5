#include "nft/nft_marks.h"

namespace lvs::nft {

namespace {
const std::string kTable = desired::kMarkTable;
}

Result<std::unique_ptr<NftMarks>> NftMarks::open() {
  auto runner = NftRunner::open();
  if (!runner) return runner.error();
  return std::unique_ptr<NftMarks>(new NftMarks(std::move(*runner)));
}

Status NftMarks::install(const desired::MarkRules& rules) {
  writes_ = 0;
  // Only the comment is compared: a restart on the same descriptor writes nothing.
  auto listed = runner_.output("list table " + kTable, "list table " + kTable);
  if (listed && listed->find("comment \"" + desired::mark_fingerprint(rules) + "\"") != std::string::npos)
    return ok();
  writes_ = 1;
  return runner_.run(desired::mark_script(rules), "install table " + kTable);
}

Status NftMarks::remove() {
  writes_ = 0;
  // "list table" of a missing table fails without a telling errno: list them all.
  auto listed = runner_.output("list tables inet", "list the inet tables");
  if (listed && (*listed + "\n").find("table " + kTable + "\n") == std::string::npos) return ok();
  writes_ = 1;
  return runner_.run(desired::mark_remove_script(), "remove table " + kTable);
}

}  // namespace lvs::nft
