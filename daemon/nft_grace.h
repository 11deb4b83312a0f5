#pragma once
// The takeover grace through nftables (lib/nft's runner): lvsd's own table `inet lvsd`,
// replaced or removed as a whole in one transaction each time.
#include <memory>

#include "common/result.h"
#include "ha/takeover_grace.h"
#include "nft/nft_runner.h"

namespace lvsd {

class NftGrace final : public lvs::ha::GraceFilter {
 public:
  // Open it in the network namespace the rules are for (lvsd's --netns).
  static lvs::Result<std::unique_ptr<NftGrace>> open();
  lvs::Status install(const lvs::ha::GraceRules& rules) override;
  lvs::Status remove() override;

 private:
  explicit NftGrace(lvs::nft::NftRunner runner) : runner_(std::move(runner)) {}
  lvs::nft::NftRunner runner_;
};

}  // namespace lvsd
