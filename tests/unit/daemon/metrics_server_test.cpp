// The metrics HTTP responder on a real event loop and real loopback sockets, with a
// manual clock: answers, errors, and what hostile clients cannot do.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sys/epoll.h>

#include <algorithm>
#include <cerrno>

#include "daemon/metrics_server.h"
#include "accept_paused.h"
#include "support/no_free_descriptors.h"
#include "harness.h"

using namespace std::chrono_literals;
using lvsd::test::ManualClock;
using lvsd::test::MemoryLog;

namespace {

struct Rig {
  lvsd::EventLoop loop;
  ManualClock clock;
  MemoryLog log;
  std::string body = "# HELP x X.\n# TYPE x gauge\nx 1\n";
  int renders = 0;
  std::vector<char> events;  // 's': a slice rendered, 'o': another handler ran
  lvsd::MetricsServer server;

  explicit Rig(lvsd::MetricsLimits limits = {})
      : server(loop, clock, log,
               [this]() -> lvsd::MetricsServer::Step {
                 ++renders;
                 // The body in pieces of `budget` bytes, as Daemon::metrics_step renders it.
                 return [this, at = std::size_t{0}](std::string& out, std::size_t budget) mutable {
                   events.push_back('s');
                   const std::size_t n = std::min(budget, body.size() - at);
                   out.append(body, at, n);
                   at += n;
                   return at == body.size();
                 };
               },
               limits) {
    REQUIRE(server.listen({*lvs::net::IpAddress::parse("127.0.0.1"), 0}));
  }
  void pump(int rounds = 20) {
    for (int i = 0; i < rounds; ++i) REQUIRE(loop.run_once(0));
  }
  // A connected client socket (non-blocking), accepted by the server.
  int connect() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(server.port());
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    REQUIRE((rc == 0 || errno == EINPROGRESS));
    pump();
    return fd;
  }
  void send(int fd, const std::string& data) {
    REQUIRE(::send(fd, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size()));
  }
  // Everything the server sends until it closes (bounded; "<open>" appended if it did not).
  std::string read_all(int fd) {
    std::string out;
    char buf[65536];
    for (int i = 0; i < 2000; ++i) {
      REQUIRE(loop.run_once(1));
      for (;;) {
        ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) {
          out.append(buf, static_cast<std::size_t>(n));
          continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) return out;
        break;
      }
    }
    return out + "<open>";
  }
  std::string exchange(const std::string& request) {
    int fd = connect();
    send(fd, request);
    std::string out = read_all(fd);
    ::close(fd);
    return out;
  }
};

bool closed_by_server(int fd) {
  char c;
  ssize_t n = ::recv(fd, &c, 1, MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

}  // namespace

TEST_CASE("metrics server: GET /metrics answers the exposition with its type and length, then closes") {
  Rig rig;
  const std::string r = rig.exchange("GET /metrics HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n");
  // The body ends with the connection: it is rendered as it is sent, its length unknown.
  CHECK(r == "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nConnection: close\r\n\r\n" +
                 rig.body);
  CHECK(rig.server.clients() == 0);
  // HTTP/1.0, bare line feeds and a query string work too; HEAD gets the headers only.
  CHECK(rig.exchange("GET /metrics?x=1 HTTP/1.0\n\n").find("\r\n\r\n" + rig.body) != std::string::npos);
  const int before = rig.renders;
  const std::string head = rig.exchange("HEAD /metrics HTTP/1.1\r\n\r\n");
  CHECK(head.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(head.substr(head.size() - 4) == "\r\n\r\n");
  CHECK(rig.renders == before);  // nothing rendered for HEAD
}

TEST_CASE("metrics server: another path is 404, another method 405, a malformed request 400") {
  Rig rig;
  CHECK(rig.exchange("GET / HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 404 Not Found\r\n", 0) == 0);
  const std::string post = rig.exchange("POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
  CHECK(post.rfind("HTTP/1.1 405 Method Not Allowed\r\n", 0) == 0);
  CHECK(post.find("Allow: GET, HEAD\r\n") != std::string::npos);
  CHECK(rig.exchange("hello\r\n\r\n").rfind("HTTP/1.1 400 Bad Request\r\n", 0) == 0);
  CHECK(rig.exchange("GET /metrics HTTP/2\r\n\r\n").rfind("HTTP/1.1 400 Bad Request\r\n", 0) == 0);
  CHECK(rig.exchange("GET  /metrics HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 400 Bad Request\r\n", 0) == 0);
  CHECK(rig.renders == 0);  // nothing was rendered for them
}

TEST_CASE("metrics server: a huge request line is refused at the cap without buffering the rest") {
  Rig rig({.max_request = 1024});
  int fd = rig.connect();
  const std::string huge = "GET /" + std::string(64 * 1024, 'a');  // no end of line: it never ends
  ::send(fd, huge.data(), huge.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  const std::string r = rig.read_all(fd);
  CHECK(r.rfind("HTTP/1.1 431 Request Header Fields Too Large\r\n", 0) == 0);
  CHECK(rig.server.clients() == 0);
  ::close(fd);
}

TEST_CASE("metrics server: a client that sends its request slowly (slowloris) is closed at the request timeout") {
  Rig rig({.request_timeout = 5000ms});
  int fd = rig.connect();
  rig.send(fd, "GET /metr");
  rig.pump();
  rig.clock.advance(4000ms);
  rig.send(fd, "ics HT");  // bytes do not buy time
  rig.pump();
  CHECK(rig.server.sweep().has_value());
  CHECK(rig.server.clients() == 1);
  rig.clock.advance(1000ms);
  rig.server.sweep();
  CHECK(rig.server.clients() == 0);
  CHECK(closed_by_server(fd));
  ::close(fd);
}

TEST_CASE("metrics server: more clients than the cap are answered 503 and closed; the others are served") {
  Rig rig({.max_clients = 2});
  int a = rig.connect();
  int b = rig.connect();
  CHECK(rig.server.clients() == 2);
  int c = rig.connect();
  CHECK(rig.read_all(c).rfind("HTTP/1.1 503 Service Unavailable\r\n", 0) == 0);
  CHECK(rig.server.clients() == 2);
  CHECK(rig.log.contains("metrics: client refused, 2 clients connected already"));
  rig.send(a, "GET /metrics HTTP/1.1\r\n\r\n");
  CHECK(rig.read_all(a).find(rig.body) != std::string::npos);
  rig.send(b, "GET /metrics HTTP/1.1\r\n\r\n");
  CHECK(rig.read_all(b).find(rig.body) != std::string::npos);
  for (int fd : {a, b, c}) ::close(fd);
}

TEST_CASE("metrics server: a client that does not read a large response is closed at the response timeout") {
  Rig rig({.response_timeout = 30000ms});
  rig.body = std::string(16 * 1024 * 1024, 'x');  // more than the socket buffers hold
  int fd = rig.connect();
  int small = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  rig.send(fd, "GET /metrics HTTP/1.1\r\n\r\n");
  rig.pump(50);
  CHECK(rig.server.clients() == 1);  // stuck writing, the loop not blocked
  rig.clock.advance(30000ms);
  rig.server.sweep();
  CHECK(rig.server.clients() == 0);
  ::close(fd);
}

TEST_CASE("metrics server: a large scrape is rendered a slice per loop turn, other events served between") {
  Rig rig({.slice_bytes = 4096});
  rig.body.clear();
  for (int i = 0; rig.body.size() < 1024 * 1024; ++i) rig.body += "x{n=\"" + std::to_string(i) + "\"} 1\n";
  // Another descriptor always ready (the daemon's timer, an advert): its handler runs once a turn.
  int p[2];
  REQUIRE(::pipe(p) == 0);
  REQUIRE(::write(p[1], "x", 1) == 1);
  REQUIRE(rig.loop.add(p[0], EPOLLIN, [&rig](std::uint32_t) { rig.events.push_back('o'); }));
  int fd = rig.connect();
  rig.events.clear();
  rig.send(fd, "GET /metrics HTTP/1.1\r\n\r\n");
  const std::string r = rig.read_all(fd);
  CHECK(r.substr(r.find("\r\n\r\n") + 4) == rig.body);
  const auto slices = std::count(rig.events.begin(), rig.events.end(), 's');
  CHECK(slices >= static_cast<long>(rig.body.size() / 4096));
  CHECK(rig.server.slices() == static_cast<std::uint64_t>(slices));
  // Never two slices of one client without the loop's other work between them.
  for (std::size_t i = 1; i < rig.events.size(); ++i) {
    INFO("event " << i);
    CHECK_FALSE((rig.events[i] == 's' && rig.events[i - 1] == 's'));
  }
  rig.loop.remove(p[0]);
  for (int f : {fd, p[0], p[1]}) ::close(f);
}

TEST_CASE("metrics server: a client that does not read holds a slice, not the whole exposition") {
  Rig rig({.slice_bytes = 64 * 1024});
  rig.body = std::string(32 * 1024 * 1024, 'x');  // far more than the socket buffers hold
  int fd = rig.connect();
  int small = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  rig.send(fd, "GET /metrics HTTP/1.1\r\n\r\n");
  rig.pump(200);
  CHECK(rig.server.clients() == 1);
  // The socket buffers hold some of it; lvsd holds at most one slice (and the header).
  CHECK(rig.server.buffered() <= 2 * 64 * 1024);
  const auto slices = rig.server.slices();
  CHECK(slices * 64 * 1024 < rig.body.size());
  rig.pump(200);
  CHECK(rig.server.slices() == slices);  // nothing more rendered while the client does not read
  ::close(fd);
}

TEST_CASE("metrics server: every scrape renders afresh; nothing is kept between scrapes") {
  Rig rig;
  rig.exchange("GET /metrics HTTP/1.1\r\n\r\n");
  rig.exchange("GET /metrics HTTP/1.1\r\n\r\n");
  CHECK(rig.renders == 2);
  CHECK_FALSE(rig.server.sweep().has_value());
  CHECK(rig.server.buffered() == 0);
}

TEST_CASE("metrics server: --metrics takes ADDRESS:PORT, IPv6 in brackets") {
  auto v4 = lvsd::parse_listen_address("127.0.0.1:9687");
  REQUIRE(v4);
  CHECK(v4->address.to_string() == "127.0.0.1");
  CHECK(v4->port == 9687);
  auto v6 = lvsd::parse_listen_address("[::1]:9687");
  REQUIRE(v6);
  CHECK(v6->address.is_v6());
  for (const char* bad : {"127.0.0.1", "::1:9687", "localhost:9687", "127.0.0.1:", "127.0.0.1:70000", "[::1]9687",
                          "127.0.0.1:9x"}) {
    auto r = lvsd::parse_listen_address(bad);
    INFO(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("expected ADDRESS:PORT") != std::string::npos);
  }
}

TEST_CASE("metrics server: out of descriptors at accept, it stops listening for the backoff, warns, then serves") {
  Rig rig({.accept_backoff = 1000ms});
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(rig.server.port());
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  REQUIRE((rc == 0 || errno == EINPROGRESS));
  {
    lvs::test::NoFreeDescriptors full;
    lvsd::test::check_accept_paused(rig.loop);
    CHECK(rig.log.contains("metrics: cannot accept clients: Too many open files"));
    CHECK(rig.server.clients() == 0);
    auto wake = rig.server.sweep();
    REQUIRE(wake);
    CHECK(*wake - rig.clock.now() == 1000ms);
  }
  rig.clock.advance(1000ms);
  CHECK_FALSE(rig.server.sweep().has_value());  // listening again, the client not accepted yet
  rig.pump();
  CHECK(rig.server.clients() == 1);
  rig.send(fd, "GET /metrics HTTP/1.1\r\n\r\n");
  CHECK(rig.read_all(fd).find(rig.body) != std::string::npos);
  ::close(fd);
}
