#include "daemon/control_server.h"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace lvsd {

namespace {

std::string dump_line(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

// The socket's folder: created if missing; refused if someone else could replace the
// socket in it (owned by another user, or writable by group or others).
lvs::Status check_folder(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return lvs::Error{errno, "cannot create folder " + dir};
  struct stat st{};
  if (::lstat(dir.c_str(), &st) != 0) return lvs::Error{errno, "cannot inspect folder " + dir};
  if (!S_ISDIR(st.st_mode)) return lvs::Error{ENOTDIR, dir + " is not a folder"};
  if (st.st_uid != 0 && st.st_uid != ::geteuid())
    return lvs::Error{EPERM, "folder " + dir + " is owned by uid " + std::to_string(st.st_uid) +
                                 ", neither root nor this process; refusing to put the control socket there"};
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return lvs::Error{EPERM, "folder " + dir + " is writable by group or others (mode " + mode +
                                 "); refusing to put the control socket there"};
  }
  return lvs::ok();
}

// A socket file at `path` is removed only when nothing listens on it.
lvs::Status remove_stale_socket(const std::string& path, const sockaddr_un& addr) {
  struct stat st{};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return lvs::ok();
    return lvs::Error{errno, "cannot inspect " + path};
  }
  if (!S_ISSOCK(st.st_mode)) return lvs::Error{EEXIST, path + " exists and is not a socket"};
  int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (probe < 0) return lvs::Error{errno, "cannot create a socket to test " + path};
  const int rc = ::connect(probe, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  const int err = rc == 0 ? 0 : errno;
  ::close(probe);
  // EAGAIN: the listener's queue is full, so it is alive too.
  if (rc == 0 || err == EAGAIN)
    return lvs::Error{EADDRINUSE, "another process (another lvsd?) answers on " + path +
                                      "; give each lvsd its own --control-socket"};
  if (err == ENOENT) return lvs::ok();  // removed meanwhile
  if (err != ECONNREFUSED) return lvs::Error{err, "cannot test whether something answers on " + path};
  // Nothing listens: left over from a daemon that did not exit cleanly.
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return lvs::Error{errno, "cannot remove the stale socket " + path};
  return lvs::ok();
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
      peer_lookup_(peer_credentials),
      accept_pause_(loop, limits.accept_backoff, [this](std::uint32_t) { on_accept(); }) {}

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
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  if (auto ready = check_folder(dir); !ready) return ready;
  if (auto gone = remove_stale_socket(path, addr); !gone) return gone;
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return lvs::Error{errno, "cannot create the control socket"};
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    lvs::Error e{errno, "cannot bind the control socket " + path +
                            (errno == EADDRINUSE ? " (another process created it meanwhile)" : "")};
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
  accept_pause_.set_listener(fd);
  path_ = path;
  return lvs::ok();
}

void ControlServer::on_accept() {
  for (int round = 0; round < 64 && !accept_pause_.paused(); ++round) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      // Out of descriptors or memory: the connection stays queued and the listener stays
      // readable, so retrying now would spin. Leave it queued and try again later.
      if (accept_should_pause(errno)) pause_accepting(errno);
      return;  // EAGAIN: nothing more queued
    }
    if (accept_failing_) {
      accept_failing_ = false;
      log_.notice("control: accepting clients again");
    }
    PeerCred peer = peer_lookup_(fd);
    const Access access = access_for(peer, policy_);
    if (access == Access::none) {
      refuse(fd, peer, "permission denied: uid " + std::to_string(peer.uid) + " is in neither the admin nor the read group");
      continue;
    }
    if (clients_.size() >= limits_.max_clients || same_uid_count(peer.uid) >= limits_.max_clients_per_uid)
      settle_clients();
    if (clients_.size() >= limits_.max_clients) {
      refuse(fd, peer, "too many clients");
      continue;
    }
    if (same_uid_count(peer.uid) >= limits_.max_clients_per_uid) {
      refuse(fd, peer, "too many clients of uid " + std::to_string(peer.uid));
      continue;
    }
    auto c = std::make_unique<Client>();
    c->fd = fd;
    c->id = next_id_++;
    c->peer = std::move(peer);
    c->access = access;
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

std::size_t ControlServer::same_uid_count(uid_t uid) const {
  return static_cast<std::size_t>(
      std::count_if(clients_.begin(), clients_.end(), [&](const auto& kv) { return kv.second->peer.uid == uid; }));
}

void ControlServer::settle_clients() {
  std::vector<pollfd> fds;
  std::vector<std::uint64_t> ids;
  for (const auto& [id, c] : clients_) {
    if (c->in_process) continue;
    fds.push_back(pollfd{c->fd, POLLIN | POLLRDHUP, 0});
    ids.push_back(id);
  }
  if (fds.empty() || ::poll(fds.data(), fds.size(), 0) <= 0) return;
  for (std::size_t i = 0; i < fds.size(); ++i) {
    const short r = fds[i].revents;
    if (r == 0) continue;
    std::uint32_t ev = 0;
    if (r & POLLIN) ev |= EPOLLIN;
    if (r & POLLRDHUP) ev |= EPOLLRDHUP;
    if (r & POLLHUP) ev |= EPOLLHUP;
    if (r & POLLERR) ev |= EPOLLERR;
    on_client(ids[i], ev);  // finds nothing when an earlier call dropped it
  }
}

void ControlServer::refuse(int fd, const PeerCred& peer, const std::string& message) {
  const std::string line = error_reply(message) + "\n";
  [[maybe_unused]] auto n = ::send(fd, line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::close(fd);
  warn_peer(peer.uid, "control: client of uid " + std::to_string(peer.uid) + " refused: " + message + " (" +
                          std::to_string(clients_.size()) + " clients connected)");
}

void ControlServer::pause_accepting(int error) {
  accept_pause_.pause(clock_.now());
  if (accept_failing_) return;
  accept_failing_ = true;
  log_.error("control: cannot accept clients: " + std::string(std::strerror(error)) + "; retrying every " +
             std::to_string(limits_.accept_backoff.count()) +
             " ms (out of descriptors means RLIMIT_NOFILE is too low for this balancer: see the "
             "start-up line on file descriptors)");
}

void ControlServer::warn_peer(uid_t uid, const std::string& line) {
  const auto now = clock_.now();
  if (warned_.size() > 1024)  // uids are few; this bounds the map against surprises
    std::erase_if(warned_, [&](const auto& kv) { return now - kv.second.at >= limits_.warn_interval; });
  auto [it, fresh] = warned_.try_emplace(uid, Warned{now, 0});
  Warned& w = it->second;
  if (!fresh && now - w.at < limits_.warn_interval) {
    ++w.held_back;
    return;
  }
  std::string text = line;
  if (w.held_back > 0)
    text += "; " + std::to_string(w.held_back) + " more such warnings for uid " + std::to_string(uid) + " held back";
  w = Warned{now, 0};
  log_.warning(text);
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
        // Bytes alone are not activity (an empty line every few seconds would hold the
        // slot forever): only a request line or a reply written out is.
        c.in.append(buf, static_cast<std::size_t>(n));
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
  if (c.subscriber) {
    c.in.clear();
    if (c.eof) drop(id, nullptr);
    else update_events(c);
    return;
  }
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
    c.last_activity = clock_.now();
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
    if (!allowed(request->command, c.access)) {
      warn_peer(c.peer.uid, "control: uid " + std::to_string(c.peer.uid) + " may not run " + to_string(request->command));
      if (!send(c, error_reply(std::string("permission denied: ") + to_string(request->command) +
                          (c.access == Access::read ? " needs the admin group" : " needs the read or admin group")))) return;
      continue;
    }
    if (request->command == Command::events) {
      // From now on this client only receives; what it sends is read and ignored.
      log_.info("control: events subscriber, uid " + std::to_string(c.peer.uid));
      c.subscriber = true;
      c.in.clear();
      if (!send(c, dump_line(nlohmann::json{{"ok", true}, {"events", true}}))) return;
      break;
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
  if (c.out.empty()) c.reply_since = clock_.now();
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
      if (c.out.empty()) c.last_activity = clock_.now();  // the idle time starts after the reply
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
  // A subscriber is read all the time, only to see it leave.
  if (!c.busy && !c.close_after && !c.eof && (c.out.empty() || c.subscriber)) ev |= EPOLLIN;
  if (ev != c.events) {
    if (loop_.modify(c.fd, ev)) c.events = ev;
  }
}

void ControlServer::drop(std::uint64_t id, const char* why) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  if (why) warn_peer(it->second->peer.uid, "control: client of uid " + std::to_string(it->second->peer.uid) + " dropped: " + why);
  loop_.remove(it->second->fd);
  ::close(it->second->fd);
  clients_.erase(it);
}

void ControlServer::publish(const nlohmann::json& event) {
  const std::string line = dump_line(event);
  std::vector<std::uint64_t> ids;
  for (const auto& [id, c] : clients_)
    if (c->subscriber) ids.push_back(id);
  for (auto id : ids) {
    auto it = clients_.find(id);
    if (it == clients_.end()) continue;
    Client& c = *it->second;
    if (c.out.size() + line.size() > limits_.max_event_backlog) {
      drop(id, "did not read its events");
      continue;
    }
    send(c, line);
  }
}

std::optional<lvs::health::TimePoint> ControlServer::sweep() {
  const auto now = clock_.now();
  NextWake next;
  accept_pause_.resume_if_due(now, next);
  auto deadline = [this](const Client& c) -> std::optional<ClientDeadline> {
    if (c.busy) return std::nullopt;  // waiting for us, not for the client
    const bool replying = !c.out.empty();
    if (c.subscriber && !replying) return std::nullopt;  // waiting for events: not idle
    if (replying) return ClientDeadline{c.reply_since + limits_.reply_timeout, "did not read its reply in time"};
    return ClientDeadline{c.last_activity + limits_.idle_timeout, "idle"};
  };
  expire_clients(clients_, now, deadline, [this](std::uint64_t id, const char* why) { drop(id, why); }, next);
  return next.at;
}

}  // namespace lvsd
