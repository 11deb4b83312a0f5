#pragma once
// One non-blocking TCP connection to a probed server, plain or TLS (OpenSSL in
// non-blocking mode). Operations never block: they say which readiness they wait for.
#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "health/probe_config.h"
#include "health/probe_result.h"
#include "health/tls_context.h"

namespace lvs::health {

enum class Io {
  done,        // finished (handshake complete, all written, or read drained)
  want_read,   // wait for EPOLLIN
  want_write,  // wait for EPOLLOUT
  eof,         // the server closed the connection
  error,       // see the IoError
};

// Why an operation ended in Io::error (or, for a write, Io::eof): closed when the server
// closed or reset the connection, tls for a TLS-layer error, other for the rest.
struct IoError {
  FailureReason reason = FailureReason::other;
  std::string text;
};

// What the certificate is checked against when verifying: `server_name`, or when that
// is empty the address connected to (which must then be among its IP SANs). Without a
// default, any certificate the CA ever signed, for any host, would pass.
std::string verify_name(const ProbeConfig&);

// Errors that are this host's shortage, not the server's fault: out of descriptors
// (EMFILE, ENFILE) or memory (ENOBUFS, ENOMEM).
bool is_local_shortage(int err);

class Transport {
 public:
  Transport() = default;
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;
  ~Transport();

  // socket() and the optional bind to the source address. The socket closes with a
  // reset (SO_LINGER 0): a check leaves no TIME_WAIT behind on either side, however many
  // thousands run a minute. TLS gets TCP_NODELAY: its writes can follow one another
  // without a reply between (Finished, then a command), which Nagle would hold back;
  // plain dialogues always write after a reply that acked the last write.
  Status open(const ProbeConfig&);
  // The non-blocking connect() after open(); an error here is the connection's.
  Status connect(const ProbeConfig&);
  int fd() const { return fd_; }
  // After epoll reported `events` for the connecting socket: did connect() succeed?
  // Output without error or hang-up means connected; the error is read only on failure.
  Status finish_connect(std::uint32_t events);

  // Sets up TLS over the connected socket. `server_name` is sent as SNI (if not an
  // address). When verifying, the certificate must be for the name `verify_name()` gives.
  Status begin_tls(SSL_CTX*, const ProbeConfig&);
  Io handshake(IoError& error);
  // After a failed handshake: the chain was fine but it is not for the name checked.
  bool name_mismatch() const;
  bool tls() const { return ssl_ != nullptr; }
  // "TLSv1.3 TLS_AES_256_GCM_SHA384" once the handshake is done.
  std::string tls_summary() const;
  // Best effort close_notify; never waits.
  void shutdown_tls();

  // Appends what arrived, at most `limit` bytes. Returns want_read once drained (data
  // may have been appended), want_write if TLS must write first, eof or error.
  // Plain sockets count a short read as drained (TCP hands over all it has), which saves
  // the recv() that would only say EAGAIN. After a hang-up the caller reads again to
  // see the end.
  Io read(std::string& out, std::size_t limit, IoError& error);
  // Writes from `data`, advancing `written`. done when everything was written.
  Io write(std::string_view data, std::size_t& written, IoError& error);

 private:
  Io ssl_status(int ret, const char* during, IoError& error);

  int fd_ = -1;
  SslPtr ssl_;
};

}  // namespace lvs::health
