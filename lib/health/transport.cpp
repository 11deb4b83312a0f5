#include "health/transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace lvs::health {

namespace {

socklen_t fill_sockaddr(const net::IpAddress& a, std::uint16_t port, sockaddr_storage& ss) {
  std::memset(&ss, 0, sizeof ss);
  if (a.is_v6()) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(port);
    std::memcpy(&s6->sin6_addr, a.bytes.data(), 16);
    return sizeof(sockaddr_in6);
  }
  auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
  s4->sin_family = AF_INET;
  s4->sin_port = htons(port);
  std::memcpy(&s4->sin_addr, a.bytes.data(), 4);
  return sizeof(sockaddr_in);
}

}  // namespace

std::string verify_name(const ProbeConfig& c) {
  return c.server_name.empty() ? c.address.to_string() : c.server_name;
}

bool is_local_shortage(int err) { return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM; }

Transport::~Transport() {
  ssl_.reset();
  if (fd_ >= 0) ::close(fd_);
}

Status Transport::open(const ProbeConfig& c) {
  fd_ = ::socket(c.address.af(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd_ < 0) return make_error(errno, "cannot create a socket for " + endpoint_string(c.address, c.port));
  linger reset{1, 0};
  (void)::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  int one = 1;
  if (c.tls != TlsMode::none) (void)::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (c.source) {
    // Pick the port at connect() time, so thousands of probes from one source address
    // do not exhaust ephemeral ports on bind().
    (void)::setsockopt(fd_, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    sockaddr_storage src;
    socklen_t len = fill_sockaddr(*c.source, 0, src);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&src), len) != 0)
      return make_error(errno, "cannot bind to the source address " + c.source->to_string());
  }
  return ok();
}

Status Transport::connect(const ProbeConfig& c) {
  sockaddr_storage dst;
  socklen_t len = fill_sockaddr(c.address, c.port, dst);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&dst), len) != 0 && errno != EINPROGRESS)
    return make_error(errno, "connect to " + endpoint_string(c.address, c.port) + " failed");
  return ok();
}

Status Transport::finish_connect(std::uint32_t events) {
  if ((events & EPOLLOUT) && !(events & (EPOLLERR | EPOLLHUP))) return ok();
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err != 0) return make_error(err, "connect failed");
  return ok();
}

Status Transport::begin_tls(SSL_CTX* ctx, const ProbeConfig& c) {
  ERR_clear_error();
  ssl_.reset(SSL_new(ctx));
  if (!ssl_) return make_error(ENOMEM, "cannot create a TLS session: " + take_openssl_errors("?"));
  if (!attach_socket(ssl_.get(), fd_)) return make_error(0, "cannot attach TLS to the socket");
  const std::string& sni = c.server_name;
  if (!sni.empty() && !net::IpAddress::parse(sni)) SSL_set_tlsext_host_name(ssl_.get(), sni.c_str());
  if (c.verify) {
    const std::string name = verify_name(c);
    int set = net::IpAddress::parse(name) ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_.get()), name.c_str())
                                          : SSL_set1_host(ssl_.get(), name.c_str());
    if (set != 1) return make_error(EINVAL, "cannot check the certificate against " + name);
  }
  SSL_set_connect_state(ssl_.get());
  return ok();
}

bool Transport::name_mismatch() const {
  if (!ssl_) return false;
  long v = SSL_get_verify_result(ssl_.get());
  return v == X509_V_ERR_HOSTNAME_MISMATCH || v == X509_V_ERR_IP_ADDRESS_MISMATCH;
}

Io Transport::handshake(IoError& error) {
  ERR_clear_error();
  int ret = SSL_do_handshake(ssl_.get());
  if (ret == 1) return Io::done;
  Io io = ssl_status(ret, "during the TLS handshake", error);
  if (io == Io::error || io == Io::eof) {
    long v = SSL_get_verify_result(ssl_.get());
    if (v != X509_V_OK) error = {FailureReason::tls, std::string("certificate verify failed: ") + X509_verify_cert_error_string(v)};
    if (io == Io::eof) {
      if (v == X509_V_OK) error = {FailureReason::tls, "server closed the connection during the TLS handshake"};
      io = Io::error;
    }
  }
  return io;
}

std::string Transport::tls_summary() const {
  if (!ssl_) return {};
  return std::string(SSL_get_version(ssl_.get())) + " " + SSL_get_cipher_name(ssl_.get());
}

void Transport::shutdown_tls() {
  if (!ssl_) return;
  ERR_clear_error();
  (void)SSL_shutdown(ssl_.get());
  ERR_clear_error();
}

Io Transport::ssl_status(int ret, const char* during, IoError& error) {
  // `during` names the phase for handshake errors; read and write errors get theirs from
  // the probe ("while waiting for the reply to EHLO").
  auto phrase = [during](std::string what) { return *during ? what + " " + during : what; };
  int e = SSL_get_error(ssl_.get(), ret);
  switch (e) {
    case SSL_ERROR_WANT_READ: return Io::want_read;
    case SSL_ERROR_WANT_WRITE: return Io::want_write;
    case SSL_ERROR_ZERO_RETURN: return Io::eof;
    case SSL_ERROR_SYSCALL:
      if (errno == 0 || errno == EAGAIN) {
        error = {FailureReason::tls, take_openssl_errors("")};
        if (error.text.empty()) return Io::eof;  // closed without close_notify
        return Io::error;
      }
      if (errno == EPIPE) error = {FailureReason::closed, phrase("server closed the connection")};
      else if (errno == ECONNRESET) error = {FailureReason::closed, phrase("connection reset by server")};
      else error = {FailureReason::other, phrase(std::strerror(errno))};
      return Io::error;
    default:
      // OpenSSL 3 reports a peer that closed without close_notify as an error.
      if (ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        ERR_clear_error();
        return Io::eof;
      }
      error = {FailureReason::tls, phrase("TLS error") + ": " + take_openssl_errors("unknown")};
      return Io::error;
  }
}

Io Transport::read(std::string& out, std::size_t limit, IoError& error) {
  char buf[4096];
  while (limit > 0) {
    std::size_t want = std::min(sizeof buf, limit);
    if (ssl_) {
      ERR_clear_error();
      errno = 0;
      int n = SSL_read(ssl_.get(), buf, static_cast<int>(want));
      if (n <= 0) return ssl_status(n, "", error);
      out.append(buf, static_cast<std::size_t>(n));
      limit -= static_cast<std::size_t>(n);
    } else {
      ssize_t n = ::recv(fd_, buf, want, 0);
      if (n == 0) return Io::eof;
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return Io::want_read;
        if (errno == EINTR) continue;
        error = errno == ECONNRESET ? IoError{FailureReason::closed, "connection reset by server"}
                                    : IoError{FailureReason::other, std::strerror(errno)};
        return Io::error;
      }
      out.append(buf, static_cast<std::size_t>(n));
      limit -= static_cast<std::size_t>(n);
      if (static_cast<std::size_t>(n) < want) return Io::want_read;
    }
  }
  return Io::done;  // limit reached; the caller checks its bounds
}

Io Transport::write(std::string_view data, std::size_t& written, IoError& error) {
  while (written < data.size()) {
    std::string_view rest = data.substr(written);
    if (ssl_) {
      ERR_clear_error();
      errno = 0;
      int n = SSL_write(ssl_.get(), rest.data(), static_cast<int>(rest.size()));
      if (n <= 0) return ssl_status(n, "", error);
      written += static_cast<std::size_t>(n);
    } else {
      ssize_t n = ::send(fd_, rest.data(), rest.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return Io::want_write;
        if (errno == EINTR) continue;
        if (errno == EPIPE) {
          error = {FailureReason::closed, "server closed the connection"};
          return Io::eof;
        }
        error = errno == ECONNRESET ? IoError{FailureReason::closed, "connection reset by server"}
                                    : IoError{FailureReason::other, std::strerror(errno)};
        return Io::error;
      }
      written += static_cast<std::size_t>(n);
    }
  }
  return Io::done;
}

}  // namespace lvs::health
