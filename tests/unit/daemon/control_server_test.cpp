// A real control socket in a temporary folder, driven by a client in the same thread.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <cstring>

#include "daemon/control_server.h"
#include "accept_paused.h"
#include "support/no_free_descriptors.h"
#include "harness.h"

using namespace std::chrono_literals;

namespace {

struct Server {
  lvsd::test::TempDir dir;
  lvsd::test::ManualClock clock;
  lvsd::test::MemoryLog log;
  lvsd::EventLoop loop;
  std::vector<lvsd::Request> seen;
  std::optional<lvsd::ControlServer::Respond> held;  // a reply the test sends later
  bool hold = false;
  std::string pad;  // added to every reply, to make one larger than the socket buffer
  lvsd::ControlServer server;
  std::string path;

  explicit Server(lvsd::ControlLimits limits = {})
      : server(loop, clock, log, lvsd::AccessPolicy{gid_t{990}, gid_t{991}},
               [this](const lvsd::Request& r, lvsd::ControlServer::Respond respond) {
                 seen.push_back(r);
                 if (hold) held = respond;
                 else respond(nlohmann::json{{"ok", true}, {"command", lvsd::to_string(r.command)}, {"pad", pad}});
               },
               limits) {
    // Root unless a test says otherwise, so the tests do not depend on who runs them.
    server.set_peer_lookup([](int) { return lvsd::PeerCred{0, 0, {}}; });
    path = dir.file("run/control.sock");
    REQUIRE(server.listen(path));
  }
  void turn(int ms = 10) { REQUIRE(loop.run_once(ms)); }
  std::size_t logged(const std::string& text) const {
    return static_cast<std::size_t>(
        std::count_if(log.lines.begin(), log.lines.end(), [&](const std::string& l) { return l.find(text) != l.npos; }));
  }
};

int connect_to(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

void send_all(int fd, const std::string& data, Server& s) {
  std::size_t done = 0;
  for (int i = 0; i < 2000 && done < data.size(); ++i) {
    ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n > 0) done += static_cast<std::size_t>(n);
    else s.turn();
  }
}

// Runs the loop until the client has a full line or sees the connection closed.
// Returns the line ("" plus closed=true when closed without one).
std::string read_line(int fd, Server& s, bool* closed = nullptr) {
  std::string buf;
  for (int i = 0; i < 200; ++i) {
    s.turn();
    char tmp[4096];
    ssize_t n = ::recv(fd, tmp, sizeof tmp, MSG_DONTWAIT);
    if (n > 0) buf.append(tmp, static_cast<std::size_t>(n));
    if (n == 0 || (n < 0 && errno != EAGAIN)) {
      if (closed) *closed = true;
      return buf;
    }
    if (auto nl = buf.find('\n'); nl != std::string::npos) return buf.substr(0, nl);
  }
  return buf;
}

nlohmann::json reply_of(const std::string& line) { return nlohmann::json::parse(line); }

}  // namespace

TEST_CASE("control socket: a request line gets one reply line, and the connection stays for the next") {
  Server s;
  int fd = connect_to(s.path);
  send_all(fd, "{\"command\":\"status\"}\n", s);
  auto r = reply_of(read_line(fd, s));
  CHECK(r["ok"] == true);
  send_all(fd, "{\"command\":\"reload\"}\n", s);
  CHECK(reply_of(read_line(fd, s))["command"] == "reload");
  ::close(fd);
}

TEST_CASE("control socket: garbage gets an error reply and the connection stays usable") {
  Server s;
  int fd = connect_to(s.path);
  send_all(fd, std::string("\x00\xff{{{ garbage\n", 14), s);
  auto r = reply_of(read_line(fd, s));
  CHECK(r["ok"] == false);
  CHECK(r["error"] == "request is not valid JSON");
  send_all(fd, "{\"command\":\"nope\"}\n", s);
  CHECK(reply_of(read_line(fd, s))["error"] == "unknown command \"nope\"");
  send_all(fd, "{\"command\":\"status\"}\n", s);
  CHECK(reply_of(read_line(fd, s))["ok"] == true);
  ::close(fd);
}

TEST_CASE("control socket: an oversized line gets an error reply, then the connection is closed") {
  Server s;
  int fd = connect_to(s.path);
  send_all(fd, std::string(100 * 1024, 'x'), s);
  bool closed = false;
  auto line = read_line(fd, s, &closed);
  CHECK(reply_of(line)["error"] == "request longer than 65536 bytes");
  read_line(fd, s, &closed);
  CHECK(closed);
  CHECK(s.seen.empty());
  ::close(fd);
}

TEST_CASE("control socket: a peer outside the groups is denied, a reader may only read") {
  Server s;
  s.server.set_peer_lookup([](int) { return lvsd::PeerCred{1000, 1000, {991}}; });
  int fd = connect_to(s.path);
  send_all(fd, "{\"command\":\"reload\"}\n", s);
  auto r = reply_of(read_line(fd, s));
  CHECK(r["ok"] == false);
  CHECK(r["error"] == "permission denied: reload needs the admin group");
  send_all(fd, "{\"command\":\"status\"}\n", s);
  CHECK(reply_of(read_line(fd, s))["ok"] == true);
  CHECK(s.seen.size() == 1);
  ::close(fd);
}

TEST_CASE("control socket: a peer with no role is answered and closed at accept, holding no slot") {
  Server s;
  s.server.set_peer_lookup([](int) { return lvsd::PeerCred{1000, 1000, {}}; });
  int fd = connect_to(s.path);
  bool closed = false;
  CHECK(reply_of(read_line(fd, s, &closed))["error"] ==
        "permission denied: uid 1000 is in neither the admin nor the read group");
  read_line(fd, s, &closed);
  CHECK(closed);
  CHECK(s.server.clients() == 0);
  ::close(fd);
  // As lvsctl does it: the request is sent before the server accepts; the client still
  // reads the refusal, not a reset.
  fd = connect_to(s.path);
  REQUIRE(::send(fd, "{\"command\":\"status\"}\n", 21, MSG_NOSIGNAL) == 21);
  CHECK(reply_of(read_line(fd, s))["error"] == "permission denied: uid 1000 is in neither the admin nor the read group");
  ::close(fd);
}

TEST_CASE("control socket: an idle client is closed, a client with a pending reply is not") {
  Server s;
  int idle = connect_to(s.path);
  int waiting = connect_to(s.path);
  s.turn();
  s.turn();
  s.hold = true;
  send_all(waiting, "{\"command\":\"check\",\"real\":\"203.0.113.81\"}\n", s);
  for (int i = 0; i < 20 && !s.held; ++i) s.turn();
  REQUIRE(s.held);
  REQUIRE(s.server.clients() == 2);
  s.clock.advance(31s);
  s.server.sweep();
  CHECK(s.server.clients() == 1);
  (*s.held)(nlohmann::json{{"ok", true}});
  CHECK(reply_of(read_line(waiting, s))["ok"] == true);
  ::close(idle);
  ::close(waiting);
}

TEST_CASE("control socket: a client that shuts down its side after the request still gets the reply") {
  Server s;
  int fd = connect_to(s.path);
  send_all(fd, "{\"command\":\"status\"}\n", s);
  ::shutdown(fd, SHUT_WR);
  CHECK(reply_of(read_line(fd, s))["ok"] == true);
  ::close(fd);
}

TEST_CASE("control socket: more clients than the limit are refused with an error") {
  lvsd::ControlLimits limits;
  limits.max_clients = 2;
  Server s(limits);
  int a = connect_to(s.path), b = connect_to(s.path);
  for (int i = 0; i < 5; ++i) s.turn();
  int c = connect_to(s.path);
  bool closed = false;
  CHECK(reply_of(read_line(c, s, &closed))["error"] == "too many clients");
  ::close(a);
  ::close(b);
  ::close(c);
}

TEST_CASE("control socket: requests sent together are answered one by one, in order") {
  Server s;
  int fd = connect_to(s.path);
  send_all(fd, "{\"command\":\"status\"}\n{\"command\":\"reload\"}\nnot json\n{\"command\":\"status\"}\n", s);
  std::string all;
  for (int i = 0; i < 200 && std::count(all.begin(), all.end(), '\n') < 4; ++i) {
    s.turn();
    char tmp[4096];
    ssize_t n = ::recv(fd, tmp, sizeof tmp, MSG_DONTWAIT);
    if (n > 0) all.append(tmp, static_cast<std::size_t>(n));
  }
  std::vector<nlohmann::json> replies;
  std::size_t start = 0;
  for (std::size_t nl; (nl = all.find('\n', start)) != std::string::npos; start = nl + 1)
    replies.push_back(reply_of(all.substr(start, nl - start)));
  REQUIRE(replies.size() == 4);
  CHECK(replies[0]["command"] == "status");
  CHECK(replies[1]["command"] == "reload");
  CHECK(replies[2]["error"] == "request is not valid JSON");
  CHECK(replies[3]["command"] == "status");
  ::close(fd);
}

TEST_CASE("control socket: empty lines are not activity, so they do not keep an idle client") {
  Server s;
  int fd = connect_to(s.path);
  s.turn();
  REQUIRE(s.server.clients() == 1);
  for (int i = 0; i < 4 && s.server.clients() == 1; ++i) {
    send_all(fd, "\n\r\n", s);
    s.turn();
    s.clock.advance(29s);
    s.server.sweep();
  }
  CHECK(s.server.clients() == 0);
  ::close(fd);
}

TEST_CASE("control socket: a client that does not read its reply in time is dropped, even reading a little") {
  lvsd::ControlLimits limits;
  limits.reply_timeout = 10s;
  Server s(limits);
  s.pad.assign(8 * 1024 * 1024, 'p');  // far more than a Unix socket buffers
  int fd = connect_to(s.path);
  send_all(fd, "{\"command\":\"status\"}\n", s);
  for (int i = 0; i < 5; ++i) s.turn();
  REQUIRE(s.seen.size() == 1);
  std::vector<char> chunk(256 * 1024);
  for (int i = 0; i < 12 && s.server.clients() == 1; ++i) {
    s.clock.advance(4s);
    // Enough to free buffer space, so the server writes more of the reply.
    [[maybe_unused]] auto n = ::recv(fd, chunk.data(), chunk.size(), MSG_DONTWAIT);
    s.turn();
    s.server.sweep();
  }
  CHECK(s.server.clients() == 0);
  CHECK(s.logged("did not read its reply") == 1);
  ::close(fd);
}

TEST_CASE("control socket: one uid's flood of denied requests is logged once per interval") {
  lvsd::ControlLimits limits;
  limits.warn_interval = 60s;
  Server s(limits);
  s.server.set_peer_lookup([](int) { return lvsd::PeerCred{1000, 1000, {991}}; });
  int fd = connect_to(s.path);
  for (int i = 0; i < 50; ++i) {
    send_all(fd, "{\"command\":\"reload\"}\n", s);
    REQUIRE(reply_of(read_line(fd, s))["error"] == "permission denied: reload needs the admin group");
  }
  CHECK(s.logged("may not run reload") == 1);
  s.clock.advance(61s);
  send_all(fd, "{\"command\":\"reload\"}\n", s);
  read_line(fd, s);
  CHECK(s.logged("may not run reload") == 2);
  CHECK(s.logged("49 more such warnings for uid 1000 held back") == 1);
  ::close(fd);
}

TEST_CASE("control socket: one uid cannot take every slot") {
  lvsd::ControlLimits limits;
  limits.max_clients = 10;
  limits.max_clients_per_uid = 2;
  Server s(limits);
  int accepted = 0;
  // The first three connections are uid 1000's, the fourth another reader's.
  s.server.set_peer_lookup([&accepted](int) {
    return lvsd::PeerCred{++accepted <= 3 ? uid_t{1000} : uid_t{1001}, 1000, {991}};
  });
  int a = connect_to(s.path);
  s.turn();
  int b = connect_to(s.path);
  s.turn();
  int c = connect_to(s.path);
  bool closed = false;
  CHECK(reply_of(read_line(c, s, &closed))["error"] == "too many clients of uid 1000");
  int d = connect_to(s.path);
  send_all(d, "{\"command\":\"status\"}\n", s);
  CHECK(reply_of(read_line(d, s))["ok"] == true);
  CHECK(s.server.clients() == 3);
  for (int fd : {a, b, c, d}) ::close(fd);
}

TEST_CASE("control socket: a folder others could write to, or another user's, is refused") {
  lvsd::test::TempDir dir;
  lvsd::test::ManualClock clock;
  lvsd::test::MemoryLog log;
  lvsd::EventLoop loop;
  lvsd::ControlServer server(loop, clock, log, {}, [](const lvsd::Request&, lvsd::ControlServer::Respond) {});
  const std::string open_dir = dir.file("open");
  REQUIRE(::mkdir(open_dir.c_str(), 0755) == 0);
  REQUIRE(::chmod(open_dir.c_str(), 0777) == 0);
  auto refused = server.listen(open_dir + "/control.sock");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("writable by group or others (mode 0777)") != std::string::npos);
  CHECK(::access((open_dir + "/control.sock").c_str(), F_OK) != 0);
  if (::geteuid() == 0) {
    const std::string theirs = dir.file("theirs");
    REQUIRE(::mkdir(theirs.c_str(), 0755) == 0);
    REQUIRE(::chown(theirs.c_str(), 65534, 65534) == 0);
    auto not_ours = server.listen(theirs + "/control.sock");
    REQUIRE_FALSE(not_ours);
    CHECK(not_ours.error().message.find("owned by uid 65534") != std::string::npos);
  }
}

TEST_CASE("control socket: a socket something answers on is kept; a stale one is replaced") {
  Server first;
  lvsd::test::MemoryLog log;
  lvsd::ControlServer second(first.loop, first.clock, log, {}, [](const lvsd::Request&, lvsd::ControlServer::Respond) {});
  auto refused = second.listen(first.path);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == EADDRINUSE);
  CHECK(refused.error().message.find("answers on " + first.path) != std::string::npos);
  // The first one still serves on its socket.
  int fd = connect_to(first.path);
  send_all(fd, "{\"command\":\"status\"}\n", first);
  CHECK(reply_of(read_line(fd, first))["ok"] == true);
  ::close(fd);

  // A socket file nobody listens on any more, as a killed daemon leaves it.
  const std::string stale = first.dir.file("run/stale.sock");
  int dead = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, stale.c_str(), sizeof addr.sun_path - 1);
  REQUIRE(::bind(dead, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  ::close(dead);
  lvsd::ControlServer third(first.loop, first.clock, log, {}, [](const lvsd::Request&, lvsd::ControlServer::Respond) {});
  CHECK(third.listen(stale));
}


TEST_CASE("control socket: out of descriptors at accept, it stops listening for a while, logs once, then serves") {
  lvsd::ControlLimits limits;
  limits.accept_backoff = 1s;
  Server s(limits);
  int fd = connect_to(s.path);
  {
    lvs::test::NoFreeDescriptors full;
    REQUIRE(::open("/dev/null", O_RDONLY | O_CLOEXEC) < 0);
    REQUIRE(errno == EMFILE);
    // The connection stays queued; the loop does not spin on the listener.
    lvsd::test::check_accept_paused(s.loop);
    CHECK(s.logged("cannot accept clients: Too many open files") == 1);
    CHECK(s.server.clients() == 0);
    auto wake = s.server.sweep();
    REQUIRE(wake);
    CHECK(*wake - s.clock.now() == 1s);
    // Still out of descriptors after the backoff: tried again, not logged again.
    s.clock.advance(1s);
    s.server.sweep();
    REQUIRE(s.loop.run_once(10));
    CHECK(s.logged("cannot accept clients") == 1);
  }
  s.clock.advance(1s);
  s.server.sweep();
  send_all(fd, "{\"command\":\"status\"}\n", s);
  CHECK(reply_of(read_line(fd, s))["ok"] == true);
  CHECK(s.logged("accepting clients again") == 1);
  ::close(fd);
}

TEST_CASE("control socket: an events subscriber gets each published line; one that does not read is dropped") {
  lvsd::ControlLimits limits;
  limits.max_event_backlog = 64 * 1024;
  Server s(limits);
  int fd = connect_to(s.path);
  send_all(fd, "{\"command\":\"events\"}\n", s);
  CHECK(reply_of(read_line(fd, s))["events"] == true);
  CHECK(s.seen.empty());  // the server keeps subscribers itself
  s.server.publish(nlohmann::json{{"event", "ha"}, {"to", "master"}});
  CHECK(reply_of(read_line(fd, s))["to"] == "master");
  // Not idle while it waits for events.
  s.clock.advance(120s);
  s.server.sweep();
  CHECK(s.server.clients() == 1);
  // It stops reading: publishing goes on without blocking and the backlog is capped;
  // past the cap the subscriber is dropped, and the next publish is to nobody.
  const std::string big(1000, 'x');
  for (int i = 0; i < 2000 && s.server.clients() == 1; ++i) s.server.publish(nlohmann::json{{"event", "x"}, {"pad", big}});
  CHECK(s.server.clients() == 0);
  CHECK(s.logged("did not read its events") == 1);
  s.server.publish(nlohmann::json{{"event", "ha"}});
  ::close(fd);
}

TEST_CASE("control socket: a reader may subscribe to events; a subscriber that leaves is forgotten") {
  Server s;
  s.server.set_peer_lookup([](int) { return lvsd::PeerCred{1000, 991, {}}; });  // read group
  int fd = connect_to(s.path);
  send_all(fd, "{\"command\":\"events\"}\n", s);
  CHECK(reply_of(read_line(fd, s))["ok"] == true);
  ::close(fd);
  for (int i = 0; i < 5; ++i) s.turn();
  CHECK(s.server.clients() == 0);
}
