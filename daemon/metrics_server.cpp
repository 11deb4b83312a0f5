#include "daemon/metrics_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <string_view>

namespace lvsd {

namespace {

constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!(c >= 'A' && c <= 'Z') && !(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') && c != '-' && c != '_')
      return false;
  return true;
}

}  // namespace

lvs::Result<ListenAddress> parse_listen_address(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return lvs::Error{EINVAL, "--metrics \"" + text + "\": " + why + " (expected ADDRESS:PORT, e.g. 127.0.0.1:9687 or [::1]:9687)"};
  };
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') return bad("no port");
    host = std::string_view(text).substr(1, close - 1);
    port = std::string_view(text).substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos) return bad("no port");
    host = std::string_view(text).substr(0, colon);
    port = std::string_view(text).substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return bad("an IPv6 address goes in brackets");
  }
  ListenAddress out;
  auto address = lvs::net::IpAddress::parse(host);
  if (!address) return bad("\"" + std::string(host) + "\" is not an IP address");
  out.address = *address;
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc{} || ptr != port.data() + port.size() || value > 65535)
    return bad("\"" + std::string(port) + "\" is not a port");
  out.port = static_cast<std::uint16_t>(value);
  return out;
}

MetricsServer::MetricsServer(EventLoop& loop, const lvs::health::Clock& clock, Logger& log, Render render,
                             MetricsLimits limits)
    : loop_(loop),
      clock_(clock),
      log_(log),
      render_(std::move(render)),
      limits_(limits),
      accept_pause_(loop, limits.accept_backoff, [this](std::uint32_t) { on_accept(); }) {}

MetricsServer::~MetricsServer() {
  for (auto& [id, c] : clients_) {
    loop_.remove(c->fd);
    ::close(c->fd);
  }
  if (listen_fd_ >= 0) {
    loop_.remove(listen_fd_);
    ::close(listen_fd_);
  }
}

lvs::Status MetricsServer::listen(const ListenAddress& at) {
  const std::string where = lvs::net::endpoint(at.address, at.port);
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (at.address.is_v6()) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(at.port);
    std::memcpy(&a->sin6_addr, at.address.bytes.data(), 16);
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(at.port);
    std::memcpy(&a->sin_addr, at.address.bytes.data(), 4);
    len = sizeof *a;
  }
  int fd = ::socket(at.address.af(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return lvs::Error{errno, "cannot create the metrics socket for " + where};
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // a restart finds its port in TIME_WAIT
  if (at.address.is_v6()) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(fd, 16) != 0) {
    lvs::Error e{errno, "cannot listen for metrics on " + where};
    ::close(fd);
    return e;
  }
  sockaddr_storage bound{};
  socklen_t blen = sizeof bound;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &blen) == 0)
    port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                              : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  if (auto watched = loop_.add(fd, EPOLLIN, [this](std::uint32_t) { on_accept(); }); !watched) {
    ::close(fd);
    return watched.error();
  }
  listen_fd_ = fd;
  accept_pause_.set_listener(fd);
  return lvs::ok();
}

void MetricsServer::warn(const std::string& line) {
  const auto now = clock_.now();
  if (warned_at_ && now - *warned_at_ < limits_.warn_interval) {
    ++held_back_;
    return;
  }
  log_.warning(held_back_ ? line + "; " + std::to_string(held_back_) + " more such warnings held back" : line);
  warned_at_ = now;
  held_back_ = 0;
}

void MetricsServer::on_accept() {
  for (int round = 0; round < 16 && !accept_pause_.paused(); ++round) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (accept_should_pause(errno)) {
        const int error = errno;
        accept_pause_.pause(clock_.now());
        warn(std::string("metrics: cannot accept clients: ") + std::strerror(error));
      }
      return;
    }
    if (clients_.size() >= limits_.max_clients) {
      static constexpr char busy[] =
          "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      [[maybe_unused]] auto n = ::send(fd, busy, sizeof busy - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
      ::close(fd);
      warn("metrics: client refused, " + std::to_string(clients_.size()) + " clients connected already");
      continue;
    }
    auto c = std::make_unique<Client>();
    c->fd = fd;
    c->deadline = clock_.now() + limits_.request_timeout;
    const std::uint64_t id = next_id_++;
    if (!loop_.add(fd, EPOLLIN, [this, id](std::uint32_t ev) { on_client(id, ev); })) {
      ::close(fd);
      continue;
    }
    clients_.emplace(id, std::move(c));
  }
}

void MetricsServer::on_client(std::uint64_t id, std::uint32_t events) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  Client& c = *it->second;
  if (events & EPOLLERR) {
    drop(id);
    return;
  }
  if (c.responding) {
    flush(id);
    return;
  }
  if (!(events & (EPOLLIN | EPOLLHUP))) return;
  char buf[4096];
  for (;;) {
    // Never more than the cap: the rest stays in the kernel's buffer, unread.
    const std::size_t room = limits_.max_request + 1 - c.in.size();
    ssize_t n = ::recv(c.fd, buf, std::min(room, sizeof buf), MSG_DONTWAIT);
    if (n > 0) {
      const std::size_t from = c.in.size() > 3 ? c.in.size() - 3 : 0;
      c.in.append(buf, static_cast<std::size_t>(n));
      auto end = c.in.find("\r\n\r\n", from);
      if (end != std::string::npos) {
        answer(c, end);
        flush(id);
        return;
      }
      if ((end = c.in.find("\n\n", from)) != std::string::npos) {  // bare line feeds (RFC 9112 2.2)
        answer(c, end);
        flush(id);
        return;
      }
      if (c.in.size() > limits_.max_request) {
        respond(c, 431, "Request Header Fields Too Large",
                "request longer than " + std::to_string(limits_.max_request) + " bytes\n");
        flush(id);
        return;
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    drop(id);  // closed before a whole request, or an error
    return;
  }
}

void MetricsServer::answer(Client& c, std::size_t header_end) {
  std::string_view request(c.in.data(), header_end);
  std::string_view line = request.substr(0, request.find('\n'));
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const auto sp1 = line.find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    respond(c, 400, "Bad Request", "malformed request line\n");
    return;
  }
  const std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method) || (version != "HTTP/1.1" && version != "HTTP/1.0")) {
    respond(c, 400, "Bad Request", "malformed request line\n");
    return;
  }
  target = target.substr(0, target.find('?'));  // Prometheus may add parameters; none mean anything here
  if (target != "/metrics") {
    respond(c, 404, "Not Found", "only /metrics is served here\n");
    return;
  }
  if (method != "GET" && method != "HEAD") {
    respond(c, 405, "Method Not Allowed", "only GET and HEAD\n", "Allow: GET, HEAD\r\n");
    return;
  }
  c.out = "HTTP/1.1 200 OK\r\nContent-Type: " + std::string(kContentType) + "\r\nConnection: close\r\n\r\n";
  if (method == "GET") {
    c.step = render_();
    ++renders_;
  }
  c.responding = true;
  c.deadline = clock_.now() + limits_.response_timeout;
  c.in.clear();
  c.in.shrink_to_fit();
}

void MetricsServer::respond(Client& c, int code, const char* reason, std::string body_text, const std::string& extra) {
  c.out = "HTTP/1.1 " + std::to_string(code) + " " + reason + "\r\nContent-Type: text/plain; charset=utf-8\r\n" +
           extra + "Content-Length: " + std::to_string(body_text.size()) + "\r\nConnection: close\r\n\r\n" + body_text;
  c.responding = true;
  c.deadline = clock_.now() + limits_.response_timeout;
  c.in.clear();
  c.in.shrink_to_fit();
}

std::size_t MetricsServer::buffered() const {
  std::size_t n = 0;
  for (const auto& [id, c] : clients_) n += c->out.capacity() + c->in.capacity();
  return n;
}

bool MetricsServer::flush(std::uint64_t id) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return false;
  Client& c = *it->second;
  bool rendered = false;  // one slice per call: the next waits for the next loop turn
  for (;;) {
    while (c.sent < c.out.size()) {
      ssize_t n = ::send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        c.sent += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        // Rendering more now would only pile it up here: wait until the client took this.
        if (!loop_.modify(c.fd, EPOLLOUT)) {
          drop(id);
          return false;
        }
        return true;
      }
      drop(id);
      return false;
    }
    c.out.clear();
    c.sent = 0;
    if (!c.step) break;
    if (rendered) {
      // Writable still: epoll calls again on the next turn, after the loop's other work.
      if (!loop_.modify(c.fd, EPOLLOUT)) {
        drop(id);
        return false;
      }
      return true;
    }
    if (c.step(c.out, limits_.slice_bytes)) c.step = nullptr;
    ++slices_;
    rendered = true;
  }
  // All sent. Reading what the client may still have sent (a body, a second request)
  // before closing keeps the kernel from answering with a reset that could cut the
  // response off at the client; whatever comes later is not waited for.
  ::shutdown(c.fd, SHUT_WR);
  char sink[4096];
  for (int round = 0; round < 16 && ::recv(c.fd, sink, sizeof sink, MSG_DONTWAIT) > 0; ++round) {
  }
  drop(id);
  return false;
}

void MetricsServer::drop(std::uint64_t id) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  loop_.remove(it->second->fd);
  ::close(it->second->fd);
  clients_.erase(it);
}

std::optional<lvs::health::TimePoint> MetricsServer::sweep() {
  const auto now = clock_.now();
  NextWake next;
  accept_pause_.resume_if_due(now, next);
  expire_clients(
      clients_, now, [](const Client& c) { return std::optional<ClientDeadline>(ClientDeadline{c.deadline}); },
      [this](std::uint64_t id, const char*) { drop(id); }, next);
  return next.at;
}

}  // namespace lvsd
