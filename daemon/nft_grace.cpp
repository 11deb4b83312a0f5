#include "daemon/nft_grace.h"

#include <nftables/libnftables.h>

#include <cerrno>

namespace lvsd {

void NftGrace::Free::operator()(nft_ctx* ctx) const { nft_ctx_free(ctx); }

lvs::Result<std::unique_ptr<NftGrace>> NftGrace::open() {
  std::unique_ptr<nft_ctx, Free> ctx(nft_ctx_new(NFT_CTX_DEFAULT));
  if (!ctx) return lvs::make_error(ENOMEM, "cannot make an nftables context for the takeover grace");
  // Errors into a buffer, so they reach our log instead of stderr.
  if (nft_ctx_buffer_error(ctx.get()) != 0 || nft_ctx_buffer_output(ctx.get()) != 0)
    return lvs::make_error(ENOMEM, "cannot buffer nftables' messages");
  return std::unique_ptr<NftGrace>(new NftGrace(std::move(ctx)));
}

lvs::Status NftGrace::run(const std::string& script, const std::string& what) {
  errno = 0;
  if (nft_run_cmd_from_buffer(ctx_.get(), script.c_str()) == 0) return lvs::ok();
  const int err = errno ? errno : EIO;
  std::string message = nft_ctx_get_error_buffer(ctx_.get());
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return lvs::make_error(err, "nftables: cannot " + what + (message.empty() ? "" : ": " + message));
}

lvs::Status NftGrace::install(const lvs::ha::GraceRules& rules) {
  return run(lvs::ha::grace_script(rules), std::string("install table ") + lvs::ha::kGraceTable);
}

lvs::Status NftGrace::remove() {
  return run(lvs::ha::grace_remove_script(), std::string("remove table ") + lvs::ha::kGraceTable);
}

}  // namespace lvsd
