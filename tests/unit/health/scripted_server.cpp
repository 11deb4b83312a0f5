#include "scripted_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include "health/tls_context.h"
#include "net/ip_address.h"

namespace lvs::health::testing {

namespace {
constexpr int kStepTimeoutMs = 3000;  // no step of a scripted server waits longer

// Waits until fd is readable (or writable); false on timeout or stop.
bool wait_for(int fd, short events, const std::atomic<bool>& stop) {
  for (int waited = 0; waited < kStepTimeoutMs && !stop; waited += 50) {
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, 50);
    if (n > 0) return true;
  }
  return false;
}
}  // namespace

ScriptedServer::ScriptedServer(const std::string& address) {
  auto addr = net::IpAddress::parse(address);
  if (!addr) throw std::invalid_argument("bad address " + address);
  listen_fd_ = ::socket(addr->af(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_storage ss{};
  socklen_t len;
  if (addr->is_v6()) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    s6->sin6_family = AF_INET6;
    std::memcpy(&s6->sin6_addr, addr->bytes.data(), 16);
    len = sizeof *s6;
  } else {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
    s4->sin_family = AF_INET;
    std::memcpy(&s4->sin_addr, addr->bytes.data(), 4);
    len = sizeof *s4;
  }
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(listen_fd_, 8) != 0)
    throw std::runtime_error("scripted server: cannot listen on " + address + ": " + std::strerror(errno));
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len);
  port_ = ntohs(addr->is_v6() ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                              : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

ScriptedServer::~ScriptedServer() {
  stop_ = true;
  join();
  if (ssl_) SSL_free(ssl_);
  if (conn_fd_ >= 0) ::close(conn_fd_);
  ::close(listen_fd_);
}

ScriptedServer& ScriptedServer::send(std::string line) {
  script_.push_back({Op::Kind::send, line + "\r\n", nullptr, {}});
  return *this;
}
ScriptedServer& ScriptedServer::send_raw(std::string bytes) {
  script_.push_back({Op::Kind::send, std::move(bytes), nullptr, {}});
  return *this;
}
ScriptedServer& ScriptedServer::expect(std::string prefix) {
  script_.push_back({Op::Kind::expect, std::move(prefix), nullptr, {}});
  return *this;
}
ScriptedServer& ScriptedServer::start_tls(SSL_CTX* ctx) {
  script_.push_back({Op::Kind::start_tls, {}, ctx, {}});
  return *this;
}
ScriptedServer& ScriptedServer::pause(std::chrono::milliseconds ms) {
  script_.push_back({Op::Kind::pause, {}, nullptr, ms});
  return *this;
}
ScriptedServer& ScriptedServer::close() {
  script_.push_back({Op::Kind::close, {}, nullptr, {}});
  return *this;
}
ScriptedServer& ScriptedServer::reset() {
  script_.push_back({Op::Kind::reset, {}, nullptr, {}});
  return *this;
}
ScriptedServer& ScriptedServer::hold() {
  script_.push_back({Op::Kind::hold, {}, nullptr, {}});
  return *this;
}

void ScriptedServer::start() { thread_ = std::thread([this] { run(); }); }

void ScriptedServer::join() {
  if (thread_.joinable()) thread_.join();
}

std::vector<std::string> ScriptedServer::received() {
  std::lock_guard lock(mu_);
  return received_;
}
std::vector<std::string> ScriptedServer::problems() {
  std::lock_guard lock(mu_);
  return problems_;
}
std::string ScriptedServer::peer_address() {
  std::lock_guard lock(mu_);
  return peer_;
}

void ScriptedServer::problem(std::string what) {
  std::lock_guard lock(mu_);
  problems_.push_back(std::move(what));
}

void ScriptedServer::run() {
  if (!wait_for(listen_fd_, POLLIN, stop_)) {
    problem("no connection came");
    return;
  }
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  conn_fd_ = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_CLOEXEC);
  if (conn_fd_ < 0) {
    problem("accept failed");
    return;
  }
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr, buf, sizeof buf);
  else
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr, buf, sizeof buf);
  {
    std::lock_guard lock(mu_);
    peer_ = buf;
  }
  timeval tv{kStepTimeoutMs / 1000, 0};
  ::setsockopt(conn_fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(conn_fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  for (const auto& op : script_) {
    if (stop_ || !run_op(op)) break;
  }
}

bool ScriptedServer::run_op(const Op& op) {
  switch (op.kind) {
    case Op::Kind::send:
      if (!write_all(op.text)) {
        problem("send failed: " + op.text.substr(0, 40));
        return false;
      }
      return true;
    case Op::Kind::expect: {
      std::string line;
      if (!read_line(line)) {
        problem("expected '" + op.text + "', got nothing");
        return false;
      }
      if (line.rfind(op.text, 0) != 0) {
        problem("expected '" + op.text + "', got '" + line + "'");
        return false;
      }
      return true;
    }
    case Op::Kind::start_tls:
      ssl_ = SSL_new(op.ctx);
      attach_socket(ssl_, conn_fd_);  // no SIGPIPE from a client that left
      if (SSL_accept(ssl_) != 1) {
        problem("TLS handshake failed");  // expected in the failure tests
        return false;
      }
      return true;
    case Op::Kind::pause:
      for (auto left = op.ms.count(); left > 0 && !stop_; left -= 10)
        std::this_thread::sleep_for(std::chrono::milliseconds(std::min<long>(10, left)));
      return true;
    case Op::Kind::close:
      if (ssl_) SSL_shutdown(ssl_);
      ::shutdown(conn_fd_, SHUT_WR);
      return true;
    case Op::Kind::reset: {
      linger l{1, 0};
      ::setsockopt(conn_fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
      ::close(conn_fd_);
      conn_fd_ = -1;
      return false;
    }
    case Op::Kind::hold: {
      // Until the client closes (read returns 0 or an error) or the step timeout.
      while (!stop_) {
        if (!(ssl_ && SSL_pending(ssl_) > 0) && !wait_for(conn_fd_, POLLIN, stop_)) return false;
        char c;
        int n = ssl_ ? SSL_read(ssl_, &c, 1) : static_cast<int>(::recv(conn_fd_, &c, 1, 0));
        if (n <= 0) return false;
      }
      return false;
    }
  }
  return false;
}

bool ScriptedServer::read_line(std::string& line) {
  line.clear();
  while (line.size() < 100000) {
    if (!(ssl_ && SSL_pending(ssl_) > 0) && !wait_for(conn_fd_, POLLIN, stop_)) return false;
    char c;
    int n = ssl_ ? SSL_read(ssl_, &c, 1) : static_cast<int>(::recv(conn_fd_, &c, 1, 0));
    if (n <= 0) return false;
    if (c == '\n') {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      std::lock_guard lock(mu_);
      received_.push_back(line);
      return true;
    }
    line += c;
  }
  return false;
}

bool ScriptedServer::write_all(const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size() && !stop_) {
    int n = ssl_ ? SSL_write(ssl_, bytes.data() + done, static_cast<int>(bytes.size() - done))
                 : static_cast<int>(::send(conn_fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL));
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return done == bytes.size();
}

}  // namespace lvs::health::testing
