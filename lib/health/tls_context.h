#pragma once
// OpenSSL client contexts, one per distinct (CA file, verify, minimum version), built
// once and shared by every probe that needs it: loading a CA store per probe would cost
// more CPU than the probe itself.
#include <map>
#include <memory>
#include <string>
#include <tuple>

#include <openssl/ssl.h>

#include "common/result.h"
#include "health/probe_config.h"

namespace lvs::health {

struct SslCtxDeleter {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslDeleter {
  void operator()(SSL* s) const { SSL_free(s); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxDeleter>;
using SslPtr = std::unique_ptr<SSL, SslDeleter>;

// Builds one client context. A CA file that cannot be read is an error naming the file,
// with the errno of the failed open when there is one.
Result<SslCtxPtr> make_client_context(const std::string& ca_file, bool verify, TlsVersion min);

class TlsContextCache {
 public:
  // The context for this probe's settings (borrowed: the cache keeps it).
  Result<SSL_CTX*> get(const ProbeConfig&);
  void clear() { contexts_.clear(); }  // e.g. on reload, when a CA file may have changed

 private:
  std::map<std::tuple<std::string, bool, TlsVersion>, SslCtxPtr> contexts_;
};

// Attaches a connected socket to `ssl` through a BIO that sends with MSG_NOSIGNAL, so a
// peer that went away gives EPIPE instead of a SIGPIPE that would kill the process.
// (OpenSSL's own socket BIO uses write().) Returns false if OpenSSL cannot allocate it.
bool attach_socket(SSL* ssl, int fd);

// The pending OpenSSL error queue as one line, emptied; `fallback` when it is empty.
// `sys_errno`, when given, receives the errno of a failed system call in the queue (e.g.
// EMFILE from opening the CA file), or 0.
std::string take_openssl_errors(std::string_view fallback, int* sys_errno = nullptr);

}  // namespace lvs::health
