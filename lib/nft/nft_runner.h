#pragma once
// One libnftables context: runs an nft script as one transaction and turns a failure
// into an Error with errno and nft's own message. The one home for libnftables calls.
#include <memory>
#include <string>

#include "common/result.h"

struct nft_ctx;

namespace lvs::nft {

class NftRunner {
 public:
  // Open it in the network namespace the rules are for.
  static Result<NftRunner> open();
  // `what` names the object for the error: "install table inet lvsd_mark".
  [[nodiscard]] Status run(const std::string& script, const std::string& what);
  // Runs a read-only command (e.g. "list table inet lvsd_mark") and returns its output.
  Result<std::string> output(const std::string& command, const std::string& what);

 private:
  struct Free {
    void operator()(nft_ctx* ctx) const;
  };
  explicit NftRunner(std::unique_ptr<nft_ctx, Free> ctx) : ctx_(std::move(ctx)) {}
  std::unique_ptr<nft_ctx, Free> ctx_;
};

}  // namespace lvs::nft
