#include "health/tls_context.h"

#include <openssl/err.h>

namespace lvs::health {

namespace {

int openssl_version(TlsVersion v) {
  switch (v) {
    case TlsVersion::any: return 0;
    case TlsVersion::tls1_0: return TLS1_VERSION;
    case TlsVersion::tls1_1: return TLS1_1_VERSION;
    case TlsVersion::tls1_2: return TLS1_2_VERSION;
    case TlsVersion::tls1_3: return TLS1_3_VERSION;
  }
  return 0;
}

}  // namespace

std::string take_openssl_errors(std::string_view fallback) {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    // Keep the reason only: "error:0A000086:SSL routines::certificate verify failed".
    std::string_view s(buf);
    auto last = s.rfind(':');
    out += last == std::string_view::npos ? s : s.substr(last + 1);
  }
  return out.empty() ? std::string(fallback) : out;
}

Result<SslCtxPtr> make_client_context(const std::string& ca_file, bool verify, TlsVersion min) {
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return make_error(ENOMEM, "cannot create a TLS context: " + take_openssl_errors("?"));
  if (int v = openssl_version(min); v != 0 && SSL_CTX_set_min_proto_version(ctx.get(), v) != 1)
    return make_error(EINVAL, "cannot set the minimum TLS version " + std::string(to_string(min)));
  // Probes write a few short commands; partial writes keep the non-blocking path simple.
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (verify) {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    int loaded = ca_file.empty()
                     ? SSL_CTX_set_default_verify_paths(ctx.get())
                     : SSL_CTX_load_verify_locations(ctx.get(), ca_file.c_str(), nullptr);
    if (loaded != 1) {
      std::string what = ca_file.empty() ? "the system CA store" : "CA file " + ca_file;
      return make_error(0, "cannot load " + what + ": " + take_openssl_errors("unknown error"));
    }
  } else {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  }
  return ctx;
}

Result<SSL_CTX*> TlsContextCache::get(const ProbeConfig& config) {
  auto key = std::make_tuple(config.verify ? config.ca_file : std::string(), config.verify,
                             config.min_tls_version);
  if (auto it = contexts_.find(key); it != contexts_.end()) return it->second.get();
  auto made = make_client_context(std::get<0>(key), config.verify, config.min_tls_version);
  if (!made) return made.error();
  SSL_CTX* raw = made->get();
  contexts_.emplace(std::move(key), std::move(made.value()));
  return raw;
}

}  // namespace lvs::health
