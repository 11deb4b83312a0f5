#include <catch2/catch.hpp>
#include <netinet/in.h>
#include <sys/socket.h>
#include <poll.h>
#include <unistd.h>

#include <set>

#include "manual_clock.h"
#include "probe_support.h"

using namespace lvs::health;
using namespace lvs::health::testing;
using namespace std::chrono_literals;

namespace {
// A probe that is finished from the start, with a chosen result.
class FinishedProbe final : public Probe {
 public:
  explicit FinishedProbe(ProbeResult r, TimePoint now) : result_(std::move(r)), deadline_(now) {}
  int fd() const override { return -1; }
  void on_ready(std::uint32_t, TimePoint) override {}
  TimePoint deadline() const override { return deadline_; }
  bool done() const override { return true; }
  const ProbeResult& result() const override { return result_; }

 private:
  ProbeResult result_;
  TimePoint deadline_;
};

// A listening socket that never accepts: the kernel completes connects from its backlog.
struct Listener {
  int fd = -1;
  std::uint16_t port = 0;
  explicit Listener(int backlog = 256) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), len) == 0);
    REQUIRE(::listen(fd, backlog) == 0);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~Listener() { ::close(fd); }
  // A tcp check of this listener.
  ProbeConfig tcp_check() const {
    ProbeConfig c;
    c.type = ProbeType::tcp;
    c.address = *lvs::net::IpAddress::parse("127.0.0.1");
    c.port = port;
    return c;
  }
};
}  // namespace

TEST_CASE("runner: fifty tcp probes run at once and each gets its own result") {
  Listener listener;
  SteadyClock clock;
  ProbeRunner runner(clock);
  TlsContextCache tls;
  ProbeConfig c = listener.tcp_check();
  std::set<ProbeId> added, finished;
  int passed = 0;
  for (int i = 0; i < 50; ++i)
    added.insert(runner.add(make_probe(c, tls, clock.now()), [&](ProbeId id, const ProbeResult& r) {
      finished.insert(id);
      passed += r.ok ? 1 : 0;
    }));
  CHECK(runner.running() == 50);
  runner.run_until_idle();
  CHECK(finished == added);
  CHECK(passed == 50);
  CHECK(runner.running() == 0);
}

TEST_CASE("runner: a probe finished at start is reported from dispatch, never from add") {
  ManualClock clock;
  ProbeRunner runner(clock);
  int calls = 0;
  ProbeResult given{true, "fine", 1ms, {}};
  runner.add(std::make_unique<FinishedProbe>(given, clock.now()), [&](ProbeId, const ProbeResult& r) {
    ++calls;
    CHECK(r == given);
  });
  CHECK(calls == 0);
  CHECK(runner.next_deadline().has_value());
  CHECK(runner.dispatch(0) == 1);
  CHECK(calls == 1);
  CHECK(runner.running() == 0);
}

TEST_CASE("runner: a cancelled probe never calls back") {
  ScriptedServer server;
  server.hold().start();
  SteadyClock clock;
  ProbeRunner runner(clock);
  TlsContextCache tls;
  auto c = config_for(ProbeType::smtp, server);
  int calls = 0;
  ProbeId id = runner.add(make_probe(c, tls, clock.now()), [&](ProbeId, const ProbeResult&) { ++calls; });
  runner.dispatch(0);
  runner.cancel(id);
  CHECK(runner.running() == 0);
  runner.run_until_idle();
  CHECK(calls == 0);
}

TEST_CASE("runner: a callback may add the next probe") {
  ManualClock clock;
  ProbeRunner runner(clock);
  std::vector<std::string> seen;
  runner.add(std::make_unique<FinishedProbe>(ProbeResult{true, "first", {}, {}}, clock.now()),
             [&](ProbeId, const ProbeResult& r) {
               seen.push_back(r.message);
               runner.add(std::make_unique<FinishedProbe>(ProbeResult{true, "second", {}, {}}, clock.now()),
                          [&](ProbeId, const ProbeResult& r2) { seen.push_back(r2.message); });
             });
  runner.run_until_idle();
  CHECK(seen == std::vector<std::string>{"first", "second"});
}

TEST_CASE("runner: the runner's epoll fd is readable when a probe has news, for nesting in the daemon's loop") {
  ScriptedServer server;
  server.send("220 mx1 ESMTP").hold().start();
  SteadyClock clock;
  ProbeRunner runner(clock);
  TlsContextCache tls;
  auto c = config_for(ProbeType::smtp, server);
  c.timeout = 300ms;
  runner.add(make_probe(c, tls, clock.now()), nullptr);
  pollfd p{runner.fd(), POLLIN, 0};
  CHECK(::poll(&p, 1, 2000) == 1);
  runner.run_until_idle();
}

namespace {
// A probe that never finishes, not even at its deadline.
class StubbornProbe final : public Probe {
 public:
  explicit StubbornProbe(TimePoint deadline) : deadline_(deadline) {}
  int fd() const override { return -1; }
  void on_ready(std::uint32_t, TimePoint) override {}
  TimePoint deadline() const override { return deadline_; }
  bool done() const override { return false; }
  const ProbeResult& result() const override { return result_; }

 private:
  TimePoint deadline_;
  ProbeResult result_;
};
}  // namespace

TEST_CASE("runner: a probe that ignores its deadline is ended by the runner as a failure") {
  ManualClock clock;
  ProbeRunner runner(clock);
  std::optional<ProbeResult> got;
  runner.add(std::make_unique<StubbornProbe>(clock.now() + 1s), [&](ProbeId, const ProbeResult& r) { got = r; });
  runner.dispatch(0);
  CHECK_FALSE(got);
  clock.advance(1s);
  runner.dispatch(0);
  REQUIRE(got);
  CHECK_FALSE(got->ok);
  CHECK(got->message == "probe did not finish at its deadline");
  CHECK(runner.running() == 0);
}

TEST_CASE("runner: with more sockets ready than one epoll batch, none is timed out while its answer waits") {
  // The loop was busy past every deadline (a long reconcile): all 500 connects completed
  // meanwhile, so all 500 probes pass, not just the first batch of events.
  Listener listener(1024);
  ManualClock clock;
  ProbeRunner runner(clock);
  TlsContextCache tls;
  ProbeConfig c = listener.tcp_check();
  c.timeout = 1s;
  int passed = 0, failed = 0;
  for (int i = 0; i < 500; ++i)
    runner.add(make_probe(c, tls, clock.now()), [&](ProbeId, const ProbeResult& r) { (r.ok ? passed : failed) += 1; });
  clock.advance(10s);
  runner.dispatch(0);
  CHECK(passed == 500);
  CHECK(failed == 0);
  CHECK(runner.running() == 0);
}
