#include "daemon/control_server.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace lvsd {

namespace {

std::string dump_line(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace

PeerCred peer_credentials(int fd) {
  PeerCred p;
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
    p.uid = cred.uid;
    p.gid = cred.gid;
  }
  std::vector<gid_t> groups(64);
  for (int attempt = 0; attempt < 3; ++attempt) {
    socklen_t glen = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &glen) == 0) {
      groups.resize(glen / sizeof(gid_t));
      p.groups = std::move(groups);
      break;
    }
    if (errno != ERANGE) break;
    groups.resize(glen / sizeof(gid_t) + 1);
  }
  return p;
}

ControlServer::ControlServer(EventLoop& loop, const lvs::health::Clock& clock, Logger& log, AccessPolicy policy,
                             Handler handler, ControlLimits limits)
    : loop_(loop),
      clock_(clock),
      log_(log),
      policy_(policy),
      handler_(std::move(handler)),
      limits_(limits),
      peer_lookup_(peer_credentials) {}

ControlServer::~ControlServer() {
  for (auto& [id, c] : clients_) {
    loop_.remove(c->fd);
    ::close(c->fd);
  }
  if (listen_fd_ >= 0) {
    loop_.remove(listen_fd_);
    ::close(listen_fd_);
    ::unlink(path_.c_str());
  }
}

lvs::Status ControlServer::listen(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path)
    return lvs::Error{ENAMETOOLONG, "control socket path \"" + path + "\" is empty or too long"};
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (auto slash = path.rfind('/'); slash != std::string::npos && slash > 0) {
    const std::string dir = path.substr(0, slash);
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return lvs::Error{errno, "cannot create folder " + dir};
  }
  struct stat st{};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return lvs::Error{EEXIST, path + " exists and is not a socket"};
    ::unlink(path.c_str());  // left over from a daemon that did not exit cleanly
  }
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return lvs::Error{errno, "cannot create the control socket"};
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    lvs::Error e{errno, "cannot bind the control socket " + path};
    ::close(fd);
    return e;
  }
  const mode_t mode = (policy_.admin_group || policy_.read_group) ? 0666 : 0600;
  if (::chmod(path.c_str(), mode) != 0 || ::listen(fd, 16) != 0) {
    lvs::Error e{errno, "cannot set up the control socket " + path};
    ::close(fd);
    ::unlink(path.c_str());
    return e;
  }
  auto watched = loop_.add(fd, EPOLLIN, [this](std::uint32_t) { on_accept(); });
  if (!watched) {
    ::close(fd);
    ::unlink(path.c_str());
    return watched.error();
  }
  listen_fd_ = fd;
  path_ = path;
  return lvs::ok();
}

void ControlServer::on_accept() {
  for (int round = 0; round < 64; ++round) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or a client that went away before we got to it
    if (clients_.size() >= limits_.max_clients) {
      const std::string line = error_reply("too many clients") + "\n";
      [[maybe_unused]] auto n = ::send(fd, line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      ::close(fd);
      log_.warning("control: client refused, " + std::to_string(clients_.size()) + " clients connected");
      continue;
    }
    auto c = std::make_unique<Client>();
    c->fd = fd;
    c->id = next_id_++;
    c->peer = peer_lookup_(fd);
    c->last_activity = clock_.now();
    const std::uint64_t id = c->id;
    auto watched = loop_.add(fd, EPOLLIN, [this, id](std::uint32_t ev) { on_client(id, ev); });
    if (!watched) {
      ::close(fd);
      continue;
    }
    clients_.emplace(id, std::move(c));
  }
}

void ControlServer::on_client(std::uint64_t id, std::uint32_t events) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  Client& c = *it->second;
  // Both directions closed (or an error): no reply can reach the client any more. Left
  // registered, a hang-up would be reported again on every wait.
  if (events & (EPOLLERR | EPOLLHUP)) {
    drop(id, nullptr);
    return;
  }
  if (events & EPOLLOUT) {
    flush(c);
    if (clients_.find(id) == clients_.end()) return;
  }
  if ((events & (EPOLLIN | EPOLLHUP)) && !c.close_after && !c.eof) {
    char buf[16384];
    for (int round = 0; round < 16; ++round) {
      ssize_t n = ::recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) {
        c.in.append(buf, static_cast<std::size_t>(n));
        c.last_activity = clock_.now();
        // Stop buffering once a line cannot fit: the rest is not read.
        if (c.in.size() > limits_.max_line + 1 && c.in.find('\n') == std::string::npos) break;
        continue;
      }
      if (n == 0) {
        c.eof = true;
        break;
      }
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        drop(id, nullptr);
        return;
      }
      break;
    }
  }
  process(c);
}

void ControlServer::process(Client& c) {
  const std::uint64_t id = c.id;
  c.in_process = true;
  // The next request waits until the last reply is out: one reply buffered at most.
  while (!c.busy && !c.close_after && c.out.empty()) {
    std::size_t nl = c.in.find('\n');
    if (nl == std::string::npos) {
      if (c.in.size() > limits_.max_line) {
        c.close_after = true;
        c.in.clear();
        if (!send(c, error_reply("request longer than " + std::to_string(limits_.max_line) + " bytes"))) return;
      }
      break;
    }
    std::string line = c.in.substr(0, nl);
    c.in.erase(0, nl + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (line.size() > limits_.max_line) {
      c.close_after = true;
      if (!send(c, error_reply("request longer than " + std::to_string(limits_.max_line) + " bytes"))) return;
      break;
    }
    auto request = parse_request(line);
    if (!request) {
      if (!send(c, error_reply(request.error().message))) return;
      continue;
    }
    const Access access = access_for(c.peer, policy_);
    if (!allowed(request->command, access)) {
      log_.warning("control: uid " + std::to_string(c.peer.uid) + " may not run " + to_string(request->command));
      if (!send(c, error_reply(std::string("permission denied: ") + to_string(request->command) +
                          (access == Access::read ? " needs the admin group" : " needs the read or admin group")))) return;
      continue;
    }
    if (request->command != Command::status)
      log_.info("control: " + std::string(to_string(request->command)) + " from uid " + std::to_string(c.peer.uid) +
                (request->real.empty() ? "" : " " + request->real) +
                (request->service.empty() ? "" : " service " + request->service));
    c.busy = true;
    handler_(*request, [this, id](const nlohmann::json& reply) {
      auto it = clients_.find(id);
      if (it == clients_.end()) return;  // the client left before its answer was ready
      Client& cl = *it->second;
      cl.busy = false;
      if (!send(cl, dump_line(reply))) return;
      if (!cl.in_process) process(cl);
    });
    if (clients_.find(id) == clients_.end()) return;
  }
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  c.in_process = false;
  if (c.eof && !c.busy && c.out.empty() && c.in.find('\n') == std::string::npos) {
    drop(id, nullptr);
    return;
  }
  update_events(c);
}

bool ControlServer::send(Client& c, const std::string& line) {
  const std::uint64_t id = c.id;
  c.out += line;
  if (c.out.empty() || c.out.back() != '\n') c.out += '\n';
  flush(c);
  return clients_.find(id) != clients_.end();
}

void ControlServer::flush(Client& c) {
  const std::uint64_t id = c.id;
  while (!c.out.empty()) {
    ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      c.out.erase(0, static_cast<std::size_t>(n));
      c.last_activity = clock_.now();
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    drop(id, nullptr);
    return;
  }
  if (c.out.empty() && c.close_after) {
    drop(id, nullptr);
    return;
  }
  if (!c.in_process) update_events(c);
}

void ControlServer::update_events(Client& c) {
  std::uint32_t ev = 0;
  if (!c.out.empty()) ev |= EPOLLOUT;
  // Read only while a request can be taken and a line can still fit.
  if (!c.busy && !c.close_after && !c.eof && c.out.empty()) ev |= EPOLLIN;
  if (ev != c.events) {
    if (loop_.modify(c.fd, ev)) c.events = ev;
  }
}

void ControlServer::drop(std::uint64_t id, const char* why) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  if (why) log_.warning(std::string("control: client dropped: ") + why);
  loop_.remove(it->second->fd);
  ::close(it->second->fd);
  clients_.erase(it);
}

std::optional<lvs::health::TimePoint> ControlServer::sweep() {
  const auto now = clock_.now();
  std::vector<std::uint64_t> idle;
  std::optional<lvs::health::TimePoint> next;
  for (auto& [id, c] : clients_) {
    if (c->busy) continue;  // waiting for us, not for the client
    const auto expires = c->last_activity + limits_.idle_timeout;
    if (expires <= now) idle.push_back(id);
    else if (!next || expires < *next) next = expires;
  }
  for (auto id : idle) drop(id, "idle");
  return next;
}

}  // namespace lvsd
