#pragma once
// The firewall marks through nftables: the table `inet lvsd_mark`, replaced or removed
// as a whole in one transaction. Nothing is written when the table already holds the
// rules (its comment carries their fingerprint) or, for a removal, when there is none.
#include <memory>

#include "desired/marks.h"
#include "nft/nft_runner.h"

namespace lvs::nft {

class NftMarks final : public desired::MarkFilter {
 public:
  // Open it in the network namespace the marks are for.
  static Result<std::unique_ptr<NftMarks>> open();
  Status install(const desired::MarkRules& rules) override;
  Status remove() override;
  // Writes the last install() or remove() made (0 when the table was as wanted).
  int writes() const { return writes_; }

 private:
  explicit NftMarks(NftRunner runner) : runner_(std::move(runner)) {}
  NftRunner runner_;
  int writes_ = 0;
};

}  // namespace lvs::nft
