#include "nft/nft_runner.h"

#include <nftables/libnftables.h>

#include <cerrno>

namespace lvs::nft {

void NftRunner::Free::operator()(nft_ctx* ctx) const { nft_ctx_free(ctx); }

Result<NftRunner> NftRunner::open() {
  std::unique_ptr<nft_ctx, Free> ctx(nft_ctx_new(NFT_CTX_DEFAULT));
  if (!ctx) return make_error(ENOMEM, "cannot make an nftables context");
  // Errors and output into buffers, so they reach our log instead of stderr/stdout.
  if (nft_ctx_buffer_error(ctx.get()) != 0 || nft_ctx_buffer_output(ctx.get()) != 0)
    return make_error(ENOMEM, "cannot buffer nftables' messages");
  return NftRunner(std::move(ctx));
}

Status NftRunner::run(const std::string& script, const std::string& what) {
  errno = 0;
  if (nft_run_cmd_from_buffer(ctx_.get(), script.c_str()) == 0) return ok();
  const int err = errno ? errno : EIO;
  std::string message = nft_ctx_get_error_buffer(ctx_.get());
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return make_error(err, "nftables: cannot " + what + (message.empty() ? "" : ": " + message));
}

Result<std::string> NftRunner::output(const std::string& command, const std::string& what) {
  if (auto s = run(command, what); !s) return s.error();
  return std::string(nft_ctx_get_output_buffer(ctx_.get()));
}

}  // namespace lvs::nft
