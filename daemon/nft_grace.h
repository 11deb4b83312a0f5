#pragma once
// The takeover grace through nftables (libnftables): lvsd's own table `inet lvsd`,
// replaced or removed as a whole in one transaction each time.
#include <memory>

#include "common/result.h"
#include "ha/takeover_grace.h"

struct nft_ctx;

namespace lvsd {

class NftGrace final : public lvs::ha::GraceFilter {
 public:
  // Open it in the network namespace the rules are for (lvsd's --netns).
  static lvs::Result<std::unique_ptr<NftGrace>> open();
  lvs::Status install(const lvs::ha::GraceRules& rules) override;
  lvs::Status remove() override;

 private:
  struct Free {
    void operator()(nft_ctx* ctx) const;
  };
  explicit NftGrace(std::unique_ptr<nft_ctx, Free> ctx) : ctx_(std::move(ctx)) {}
  lvs::Status run(const std::string& script, const std::string& what);
  std::unique_ptr<nft_ctx, Free> ctx_;
};

}  // namespace lvsd
