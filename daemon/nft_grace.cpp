#include "daemon/nft_grace.h"

namespace lvsd {

lvs::Result<std::unique_ptr<NftGrace>> NftGrace::open() {
  auto runner = lvs::nft::NftRunner::open();
  if (!runner) return lvs::make_error(runner.error().code, runner.error().message + " for the takeover grace");
  return std::unique_ptr<NftGrace>(new NftGrace(std::move(*runner)));
}

lvs::Status NftGrace::install(const lvs::ha::GraceRules& rules) {
  return runner_.run(lvs::ha::grace_script(rules), std::string("install table ") + lvs::ha::kGraceTable);
}

lvs::Status NftGrace::remove() {
  return runner_.run(lvs::ha::grace_remove_script(), std::string("remove table ") + lvs::ha::kGraceTable);
}

}  // namespace lvsd
