#include <catch2/catch.hpp>
#include <netinet/in.h>
#include <sys/socket.h>
#include <poll.h>
#include <unistd.h>

#include "probe_support.h"

using namespace lvs::health;
using namespace lvs::health::testing;

TEST_CASE("tcp: a listening server on 127.0.0.1 passes") {
  ScriptedServer server("127.0.0.1");
  server.hold().start();
  auto r = run_probe(config_for(ProbeType::tcp, server));
  INFO(r.message);
  CHECK(r.ok);
  CHECK(r.message == "connected");
  CHECK(transcript_has(r, TranscriptLine::Kind::note, "connected to 127.0.0.1:"));
}

TEST_CASE("tcp: a listening server on ::1 passes") {
  ScriptedServer server("::1");
  server.hold().start();
  auto r = run_probe(config_for(ProbeType::tcp, server, "::1"));
  INFO(r.message);
  CHECK(r.ok);
  CHECK(transcript_has(r, TranscriptLine::Kind::note, "connected to [::1]:"));
  CHECK(r.latency.count() > 0);
}

TEST_CASE("tcp: an IPv6 source address is bound before connect") {
  ScriptedServer server("::1");
  server.hold().start();
  auto c = config_for(ProbeType::tcp, server, "::1");
  c.source = lvs::net::IpAddress::parse("::1");
  auto r = run_probe(c);
  INFO(r.message);
  CHECK(r.ok);
  server.join();
  CHECK(server.peer_address() == "::1");
}

TEST_CASE("tcp: a port nobody listens on fails with connection refused") {
  std::uint16_t port;
  {
    ScriptedServer gone("127.0.0.1");
    port = gone.port();
  }  // closed: the port now refuses
  ProbeConfig c;
  c.type = ProbeType::tcp;
  c.address = *lvs::net::IpAddress::parse("127.0.0.1");
  c.port = port;
  auto r = run_probe(c);
  CHECK_FALSE(r.ok);
  CHECK(r.message == "connect to 127.0.0.1:" + std::to_string(port) + " failed: Connection refused");
  CHECK(r.reason == lvs::health::FailureReason::connect);
}

TEST_CASE("tcp: the source address is bound before connect") {
  ScriptedServer server("127.0.0.1");
  server.hold().start();
  auto c = config_for(ProbeType::tcp, server);
  c.source = lvs::net::IpAddress::parse("127.0.0.2");
  auto r = run_probe(c);
  INFO(r.message);
  CHECK(r.ok);
  server.join();
  CHECK(server.peer_address() == "127.0.0.2");
}

TEST_CASE("tcp: a source address of the other family is a settings error, not a probe") {
  ScriptedServer server("127.0.0.1");
  auto c = config_for(ProbeType::tcp, server);
  c.source = lvs::net::IpAddress::parse("::1");
  auto r = run_probe(c);
  CHECK_FALSE(r.ok);
  CHECK(r.message == "bad check settings: the source address ::1 is not of the target's family");
  CHECK(r.reason == lvs::health::FailureReason::setup);
}

TEST_CASE("tcp: implicit TLS on a plain tcp check does the handshake only") {
  ScriptedServer server("127.0.0.1");
  auto ctx = server_context(test_pki().good_cert, test_pki().good_key);
  server.start_tls(ctx.get()).hold().start();
  auto c = config_for(ProbeType::tcp, server);
  c.tls = TlsMode::implicit;
  c.ca_file = test_pki().ca_file;
  c.server_name = "mail.example.test";
  auto r = run_probe(c);
  INFO(r.message);
  CHECK(r.ok);
  CHECK(r.message.rfind("connected, TLS handshake ok; TLSv1.3", 0) == 0);
}

TEST_CASE("tcp: a server whose accept queue is full never completes the connect: timeout in words") {
  // listen(0) and no accept(): once the queue is full the kernel drops further SYNs.
  int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  REQUIRE(::bind(lfd, reinterpret_cast<sockaddr*>(&a), len) == 0);
  REQUIRE(::listen(lfd, 0) == 0);
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len);
  std::vector<int> fillers;
  for (int i = 0; i < 4; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    (void)::connect(fd, reinterpret_cast<sockaddr*>(&a), len);
    fillers.push_back(fd);
  }
  pollfd first{fillers[0], POLLOUT, 0};  // the first filler is in the queue: it is full
  REQUIRE(::poll(&first, 1, 2000) == 1);
  ProbeConfig c;
  c.type = ProbeType::tcp;
  c.address = *lvs::net::IpAddress::parse("127.0.0.1");
  c.port = ntohs(a.sin_port);
  c.timeout = std::chrono::milliseconds(300);
  auto r = run_probe(c);
  for (int fd : fillers) ::close(fd);
  ::close(lfd);
  CHECK_FALSE(r.ok);
  CHECK(r.message == "no connection within 300 ms");
  CHECK(r.reason == lvs::health::FailureReason::timeout);
}
