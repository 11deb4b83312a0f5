#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>

#include "health/registry.h"
#include "manual_clock.h"

using namespace lvs::health;
using namespace lvs::health::testing;
using namespace std::chrono_literals;

namespace {
// A socket-free probe: finished at once with the result the test scripted for its port,
// or pending forever when the script says so.
class FakeProbe final : public Probe {
 public:
  FakeProbe(std::optional<ProbeResult> r, TimePoint now) : result_(r ? *r : ProbeResult{}), done_(r.has_value()),
                                                           deadline_(now + 24h) {}
  int fd() const override { return -1; }
  void on_ready(std::uint32_t, TimePoint) override {}
  TimePoint deadline() const override { return deadline_; }
  bool done() const override { return done_; }
  const ProbeResult& result() const override { return result_; }

 private:
  ProbeResult result_;
  bool done_;
  TimePoint deadline_;
};

struct Fixture {
  ManualClock clock;
  ReplayRandom random{{0.0, 0.5}};  // no start spread, then waits of exactly the interval
  ProbeRunner runner{clock};
  std::map<std::uint16_t, std::optional<bool>> outcome;  // port -> pass / fail / hang
  std::set<std::uint16_t> short_of;  // ports whose probe finds this host out of descriptors
  std::map<std::uint16_t, int> started;
  std::vector<ShortageEpisode> told;
  CheckRegistry registry{clock, random, runner,
                         [this](const ProbeConfig& c, TimePoint now) {
                           ++started[c.port];
                           auto o = outcome[c.port];
                           std::optional<ProbeResult> r;
                           if (o) r = ProbeResult{*o, *o ? "ok" : "refused", 1ms, {}};
                           if (short_of.count(c.port)) {
                             r = ProbeResult{false, "port " + std::to_string(c.port) + ": out of descriptors", 0ms, {}};
                             r->reason = FailureReason::shortage;
                           }
                           return std::make_unique<FakeProbe>(r, now);
                         },
                         [this](const ShortageEpisode& e) { told.push_back(e); }};

  // One round: start what is due, deliver results.
  void round() {
    registry.poll();
    runner.dispatch(0);
  }
};

CheckKey key_for(std::uint16_t port) {
  CheckKey k;
  k.probe.type = ProbeType::smtp;
  k.probe.address = *lvs::net::IpAddress::parse("192.0.2.11");
  k.probe.port = port;
  k.tracking.interval = 2s;
  k.tracking.jitter = 0.1;
  k.tracking.rise = 2;
  k.tracking.fall = 2;
  return k;
}
}  // namespace

TEST_CASE("registry: two services with the same check of one real share one probe and both hear the edge") {
  Fixture f;
  f.outcome[25] = true;
  std::vector<std::string> heard;
  f.registry.subscribe(key_for(25), [&](const CheckKey&, const HealthEdge& e) { heard.push_back("a " + std::string(to_string(e.health))); });
  f.registry.subscribe(key_for(25), [&](const CheckKey&, const HealthEdge& e) { heard.push_back("b " + std::string(to_string(e.health))); });
  CHECK(f.registry.check_count() == 1);
  f.round();
  CHECK(f.started[25] == 1);
  CHECK(heard == std::vector<std::string>{"a up", "b up"});
  REQUIRE(f.registry.tracker(key_for(25)));
  CHECK(f.registry.tracker(key_for(25))->health() == Health::up);
}

TEST_CASE("registry: checks that differ in any setting are separate") {
  Fixture f;
  auto tls = key_for(25);
  tls.probe.tls = TlsMode::starttls;
  auto slower = key_for(25);
  slower.tracking.interval = 10s;
  f.registry.subscribe(key_for(25), nullptr);
  f.registry.subscribe(tls, nullptr);
  f.registry.subscribe(slower, nullptr);
  f.registry.subscribe(key_for(110), nullptr);
  CHECK(f.registry.check_count() == 4);
}

TEST_CASE("registry: a check runs again one interval after its result, not before") {
  Fixture f;
  f.outcome[25] = true;
  f.registry.subscribe(key_for(25), nullptr);
  f.round();
  CHECK(f.started[25] == 1);
  auto next = f.registry.poll();
  REQUIRE(next);
  // Due in 2 s; polled up to the slack later so checks due meanwhile share the wakeup.
  CHECK(*next == f.clock.now() + 2s + CheckRegistry::slack_for(2s));
  CHECK(CheckRegistry::slack_for(2s) == 100ms);
  CHECK(CheckRegistry::slack_for(60s) == 1s);
  f.clock.advance(1999ms);
  f.round();
  CHECK(f.started[25] == 1);
  f.clock.advance(1ms);
  f.round();
  CHECK(f.started[25] == 2);
}

TEST_CASE("registry: a running probe is not started twice") {
  Fixture f;
  f.outcome[25] = std::nullopt;  // hangs
  f.registry.subscribe(key_for(25), nullptr);
  f.round();
  f.clock.advance(10s);
  f.round();
  CHECK(f.started[25] == 1);
  CHECK(f.runner.running() == 1);
}

TEST_CASE("registry: edges only - failures below `fall` and repeated states stay silent") {
  Fixture f;
  f.outcome[25] = true;
  std::vector<Health> heard;
  f.registry.subscribe(key_for(25), [&](const CheckKey&, const HealthEdge& e) { heard.push_back(e.health); });
  for (int i = 0; i < 3; ++i) {
    f.round();
    f.clock.advance(2s);
  }
  f.outcome[25] = false;
  for (int i = 0; i < 4; ++i) {
    f.round();
    f.clock.advance(2s);
  }
  CHECK(heard == std::vector<Health>{Health::up, Health::down});
}

TEST_CASE("registry: the last unsubscribe removes the check and cancels its running probe") {
  Fixture f;
  f.outcome[25] = std::nullopt;
  auto a = f.registry.subscribe(key_for(25), nullptr);
  auto b = f.registry.subscribe(key_for(25), nullptr);
  f.round();
  CHECK(f.runner.running() == 1);
  f.registry.unsubscribe(a);
  CHECK(f.registry.check_count() == 1);
  f.registry.unsubscribe(b);
  CHECK(f.registry.check_count() == 0);
  CHECK(f.runner.running() == 0);
  CHECK_FALSE(f.registry.poll());
}

TEST_CASE("registry: a listener may unsubscribe itself, even the last one, while hearing an edge") {
  Fixture f;
  f.outcome[25] = true;
  SubscriptionId id = 0;
  int calls = 0;
  id = f.registry.subscribe(key_for(25), [&](const CheckKey& k, const HealthEdge&) {
    ++calls;
    CHECK(k == key_for(25));
    f.registry.unsubscribe(id);
  });
  f.round();
  CHECK(calls == 1);
  CHECK(f.registry.check_count() == 0);
}

TEST_CASE("registry: a reload that subscribes the new set first keeps the health of unchanged checks") {
  Fixture f;
  f.outcome[25] = true;
  auto old_sub = f.registry.subscribe(key_for(25), nullptr);
  f.round();
  REQUIRE(f.registry.tracker(key_for(25))->health() == Health::up);
  std::vector<Health> heard;
  auto new_sub = f.registry.subscribe(key_for(25), [&](const CheckKey&, const HealthEdge& e) { heard.push_back(e.health); });
  f.registry.unsubscribe(old_sub);
  REQUIRE(f.registry.tracker(key_for(25)));
  CHECK(f.registry.tracker(key_for(25))->health() == Health::up);
  f.clock.advance(2s);
  f.round();
  CHECK(heard.empty());  // still up: no edge
  f.registry.unsubscribe(new_sub);
}

TEST_CASE("registry: checks falling due within the slack start in one wakeup, none before it is due") {
  ManualClock clock;
  ReplayRandom random{{0.1, 0.15}};  // first runs spread: 50 ms and 75 ms (1 s x 0.5 x r)
  ProbeRunner runner{clock};
  std::vector<std::uint16_t> started;
  CheckRegistry registry{clock, random, runner, [&](const ProbeConfig& c, TimePoint now) {
                           started.push_back(c.port);
                           return std::make_unique<FakeProbe>(std::nullopt, now);
                         }};
  auto a = key_for(25), b = key_for(110);
  a.tracking.interval = b.tracking.interval = 1s;
  a.tracking.jitter = b.tracking.jitter = 0.5;
  registry.subscribe(a, nullptr);
  registry.subscribe(b, nullptr);
  const TimePoint t0 = clock.now();
  auto wake = registry.poll();
  CHECK(started.empty());
  REQUIRE(wake);
  CHECK(*wake == t0 + 50ms + CheckRegistry::slack_for(1s));  // the first due, plus the slack
  clock.advance(*wake - clock.now());
  registry.poll();
  CHECK(started == std::vector<std::uint16_t>{25, 110});  // one wakeup, both started
  CHECK_FALSE(registry.poll());                            // both running: nothing waits
}

TEST_CASE("registry: a check this host could not run is retried within a second and never counted") {
  Fixture f;
  f.outcome[25] = true;
  std::vector<Health> heard;
  f.registry.subscribe(key_for(25), [&](const CheckKey&, const HealthEdge& e) { heard.push_back(e.health); });
  f.round();
  REQUIRE(heard == std::vector<Health>{Health::up});
  const Tracker* t = f.registry.tracker(key_for(25));
  const ProbeResult last = *t->last_result();
  f.short_of.insert(25);  // fall is 2: counted, these would bring it down
  for (int i = 0; i < 5; ++i) {
    f.clock.advance(i == 0 ? 2s : CheckRegistry::shortage_retry_for(2s));
    f.round();
  }
  CHECK(f.started[25] == 6);  // retried each second, not each interval
  CHECK(CheckRegistry::shortage_retry_for(2s) == 1s);
  CHECK(CheckRegistry::shortage_retry_for(500ms) == 500ms);
  CHECK(heard == std::vector<Health>{Health::up});
  CHECK(t->health() == Health::up);
  CHECK(t->failures_in_row() == 0);
  CHECK(t->successes_in_row() == 1);
  CHECK(*t->last_result() == last);
  CHECK(f.registry.checks_put_off() == 5);
}

TEST_CASE("registry: a shortage is told once as it starts and once as it ends, however many checks it hits") {
  Fixture f;
  f.outcome[25] = f.outcome[110] = true;
  f.registry.subscribe(key_for(25), nullptr);
  f.registry.subscribe(key_for(110), nullptr);
  f.round();
  CHECK(f.told.empty());
  CHECK_FALSE(f.registry.short_of_resources());
  f.short_of = {25, 110};
  f.clock.advance(2s);
  f.round();
  REQUIRE(f.told.size() == 1);
  CHECK(f.told[0].ongoing);
  CHECK(f.told[0].first_message.find("out of descriptors") != std::string::npos);
  CHECK(f.told[0].retried == 1);
  for (int i = 0; i < 10; ++i) {  // ten more seconds of both checks put off
    f.clock.advance(1s);
    f.round();
  }
  CHECK(f.told.size() == 1);
  CHECK(f.registry.short_of_resources());
  // Hovering at the limit: one check runs, the other not yet. Still the same episode.
  f.short_of = {110};
  f.clock.advance(1s);
  f.round();
  f.short_of.clear();
  f.clock.advance(1s);
  f.round();
  CHECK(f.told.size() == 1);
  // Checks run for the quiet time without a shortage: the episode is over, told once.
  for (int i = 0; i < 20; ++i) {
    f.clock.advance(2s);
    f.round();
  }
  REQUIRE(f.told.size() == 2);
  CHECK_FALSE(f.told[1].ongoing);
  CHECK(f.told[1].retried == 2 + 2 * 10 + 1);
  CHECK(f.told[1].first_message == f.told[0].first_message);
  CHECK_FALSE(f.registry.short_of_resources());
  CHECK(f.registry.checks_put_off() == 23);
}

TEST_CASE("registry: the result observer hears every result that reaches a tracker, before its edge, and none put off") {
  Fixture f;
  f.outcome[25] = true;
  f.outcome[110] = false;
  f.short_of.insert(143);
  std::vector<std::string> seen;
  f.registry.set_result_observer([&](const CheckKey& k, const ProbeResult& r) {
    seen.push_back(std::to_string(k.probe.port) + (r.ok ? " ok" : " " + r.message));
  });
  f.registry.subscribe(key_for(25), [&](const CheckKey&, const HealthEdge&) { seen.push_back("edge 25"); });
  f.registry.subscribe(key_for(110), nullptr);
  f.registry.subscribe(key_for(143), nullptr);
  for (int i = 0; i < 4; ++i) {
    f.round();
    f.clock.advance(1s);
  }
  const auto at = [&](const std::string& s) { return std::find(seen.begin(), seen.end(), s) - seen.begin(); };
  CHECK(at("25 ok") < at("edge 25"));
  CHECK(std::count(seen.begin(), seen.end(), "edge 25") == 1);
  CHECK(std::count(seen.begin(), seen.end(), "110 refused") >= 1);
  // Nothing for 143: this host was short of descriptors, the server is not to blame.
  CHECK(std::none_of(seen.begin(), seen.end(), [](const std::string& s) { return s.rfind("143", 0) == 0; }));
  CHECK(f.registry.checks_put_off() >= 1);
}
