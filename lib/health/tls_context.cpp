#include "health/tls_context.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

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

int fd_of(BIO* b) { return static_cast<int>(reinterpret_cast<std::intptr_t>(BIO_get_data(b))); }

int bio_write(BIO* b, const char* buf, int len) {
  BIO_clear_retry_flags(b);
  ssize_t n = ::send(fd_of(b), buf, static_cast<std::size_t>(len), MSG_NOSIGNAL);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) BIO_set_retry_write(b);
  return static_cast<int>(n);
}

int bio_read(BIO* b, char* buf, int len) {
  BIO_clear_retry_flags(b);
  ssize_t n = ::recv(fd_of(b), buf, static_cast<std::size_t>(len), 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) BIO_set_retry_read(b);
  return static_cast<int>(n);
}

long bio_ctrl(BIO*, int cmd, long, void*) { return cmd == BIO_CTRL_FLUSH ? 1 : 0; }

int bio_puts(BIO* b, const char* s) { return bio_write(b, s, static_cast<int>(std::strlen(s))); }

BIO_METHOD* nosignal_socket_method() {
  // Made once, kept for the process: OpenSSL needs the method as long as any BIO uses it.
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR,
                                 "lvs socket without SIGPIPE");
    if (m) {
      BIO_meth_set_write(m, bio_write);
      BIO_meth_set_read(m, bio_read);
      BIO_meth_set_puts(m, bio_puts);
      BIO_meth_set_ctrl(m, bio_ctrl);
    }
    return m;
  }();
  return method;
}

}  // namespace

bool attach_socket(SSL* ssl, int fd) {
  BIO_METHOD* m = nosignal_socket_method();
  if (!m) return false;
  BIO* bio = BIO_new(m);
  if (!bio) return false;
  BIO_set_data(bio, reinterpret_cast<void*>(static_cast<std::intptr_t>(fd)));
  BIO_set_init(bio, 1);
  SSL_set_bio(ssl, bio, bio);  // the SSL owns it now
  return true;
}

std::string take_openssl_errors(std::string_view fallback, int* sys_errno) {
  std::string out;
  if (sys_errno) *sys_errno = 0;
  while (unsigned long e = ERR_get_error()) {
    if (sys_errno && *sys_errno == 0 && ERR_SYSTEM_ERROR(e)) *sys_errno = ERR_GET_REASON(e);
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
      int sys = 0;
      std::string why = take_openssl_errors("unknown error", &sys);
      // A failed open says it best by its errno (OpenSSL's text repeats it as "system lib").
      if (sys != 0) return make_error(sys, "cannot load " + what);
      return make_error(0, "cannot load " + what + ": " + why);
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
