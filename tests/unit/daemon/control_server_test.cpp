// A real control socket in a temporary folder, driven by a client in the same thread.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <cstring>

#include "daemon/control_server.h"
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
  lvsd::ControlServer server;
  std::string path;

  explicit Server(lvsd::ControlLimits limits = {})
      : server(loop, clock, log, lvsd::AccessPolicy{gid_t{990}, gid_t{991}},
               [this](const lvsd::Request& r, lvsd::ControlServer::Respond respond) {
                 seen.push_back(r);
                 if (hold) held = respond;
                 else respond(nlohmann::json{{"ok", true}, {"command", lvsd::to_string(r.command)}});
               },
               limits) {
    path = dir.file("run/control.sock");
    REQUIRE(server.listen(path));
  }
  void turn(int ms = 10) { REQUIRE(loop.run_once(ms)); }
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
  s.server.set_peer_lookup([](int) { return lvsd::PeerCred{1000, 1000, {}}; });
  fd = connect_to(s.path);
  send_all(fd, "{\"command\":\"status\"}\n", s);
  CHECK(reply_of(read_line(fd, s))["error"] == "permission denied: status needs the read or admin group");
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
