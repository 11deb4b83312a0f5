#include <catch2/catch.hpp>

#include "health/tracker.h"
#include "manual_clock.h"

using namespace lvs::health;
using namespace lvs::health::testing;
using namespace std::chrono_literals;

namespace {
const ProbeResult kPass{true, "ok", 2ms, {}};
const ProbeResult kFail{false, "no greeting within 5 s", 5s, {}};

TrackerSettings settings(int rise, int fall, InitialHealth initial, double jitter = 0.0) {
  TrackerSettings s;
  s.interval = 2s;
  s.jitter = jitter;
  s.rise = rise;
  s.fall = fall;
  s.initial = initial;
  return s;
}
}  // namespace

TEST_CASE("tracker: by default a check is down until its first success, which alone brings it up") {
  ManualClock clock;
  ReplayRandom random({0.5});
  Tracker t(settings(3, 2, InitialHealth::down_until_first_success), random, clock.now());
  CHECK(t.health() == Health::down);
  CHECK_FALSE(t.record(kFail, clock.now()));
  auto edge = t.record(kPass, clock.now());
  REQUIRE(edge);
  CHECK(edge->health == Health::up);
  CHECK(edge->cause == kPass);
}

TEST_CASE("tracker: an up check falls after `fall` failures in a row, and only once") {
  ManualClock clock;
  ReplayRandom random({0.5});
  Tracker t(settings(2, 3, InitialHealth::up), random, clock.now());
  CHECK_FALSE(t.record(kFail, clock.now()));
  CHECK_FALSE(t.record(kFail, clock.now()));
  auto edge = t.record(kFail, clock.now());
  REQUIRE(edge);
  CHECK(edge->health == Health::down);
  CHECK(edge->cause == kFail);
  CHECK_FALSE(t.record(kFail, clock.now()));  // no edge while it stays down
  CHECK(t.failures_in_row() == 4);
}

TEST_CASE("tracker: a success between failures restarts the fall count") {
  ManualClock clock;
  ReplayRandom random({0.5});
  Tracker t(settings(2, 2, InitialHealth::up), random, clock.now());
  CHECK_FALSE(t.record(kFail, clock.now()));
  CHECK_FALSE(t.record(kPass, clock.now()));
  CHECK_FALSE(t.record(kFail, clock.now()));
  CHECK(t.health() == Health::up);
  CHECK(t.record(kFail, clock.now()));
  CHECK(t.health() == Health::down);
}

TEST_CASE("tracker: after a fall it takes `rise` successes in a row to come back") {
  ManualClock clock;
  ReplayRandom random({0.5});
  Tracker t(settings(3, 1, InitialHealth::down_until_first_success), random, clock.now());
  REQUIRE(t.record(kPass, clock.now()));  // first success: up
  REQUIRE(t.record(kFail, clock.now()));  // fall 1: down
  CHECK_FALSE(t.record(kPass, clock.now()));
  CHECK_FALSE(t.record(kPass, clock.now()));
  CHECK_FALSE(t.record(kFail, clock.now()));  // breaks the run
  CHECK_FALSE(t.record(kPass, clock.now()));
  CHECK_FALSE(t.record(kPass, clock.now()));
  auto edge = t.record(kPass, clock.now());
  REQUIRE(edge);
  CHECK(edge->health == Health::up);
}

TEST_CASE("tracker: initial `down` needs `rise` successes even at the start") {
  ManualClock clock;
  ReplayRandom random({0.5});
  Tracker t(settings(2, 1, InitialHealth::down), random, clock.now());
  CHECK_FALSE(t.record(kPass, clock.now()));
  CHECK(t.health() == Health::down);
  REQUIRE(t.record(kPass, clock.now()));
  CHECK(t.health() == Health::up);
}

TEST_CASE("tracker: the last result and the time of the last change are kept for status") {
  ManualClock clock;
  ReplayRandom random({0.5});
  Tracker t(settings(1, 1, InitialHealth::up), random, clock.now());
  CHECK_FALSE(t.last_result());
  clock.advance(3s);
  auto at = clock.now();
  t.record(kFail, at);
  REQUIRE(t.last_result());
  CHECK(*t.last_result() == kFail);
  CHECK(t.last_result_at() == at);
  CHECK(t.last_change_at() == at);
}

TEST_CASE("tracker: each wait is the interval scaled within the jitter bounds") {
  ManualClock clock;
  ReplayRandom random({0.0, 0.999999, 0.5, 0.25});
  Tracker t(settings(1, 1, InitialHealth::up, 0.2), random, clock.now());
  std::vector<Duration> waits;
  for (int i = 0; i < 3; ++i) {
    clock.advance(10s);
    t.record(kPass, clock.now());
    waits.push_back(t.next_due() - clock.now());
  }
  // Draws 0.999999, 0.5, 0.25 after the first (used for the start spread).
  CHECK(waits[0] <= 2400ms);
  CHECK(waits[0] > 2399ms);
  CHECK(waits[1] == 2s);
  CHECK(waits[2] == 1800ms);
  for (auto w : waits) {
    CHECK(w >= 1600ms);
    CHECK(w <= 2400ms);
  }
}

TEST_CASE("tracker: jittered waits from a seeded source stay in bounds and vary") {
  ManualClock clock;
  SeededRandom random(42);
  Tracker t(settings(1, 1, InitialHealth::up, 0.1), random, clock.now());
  Duration lo = Duration::max(), hi = Duration::min();
  for (int i = 0; i < 1000; ++i) {
    t.record(kPass, clock.now());
    auto w = t.next_due() - clock.now();
    lo = std::min(lo, w);
    hi = std::max(hi, w);
    clock.advance(w);
  }
  CHECK(lo >= 1800ms);
  CHECK(hi <= 2200ms);
  CHECK(hi - lo > 300ms);  // it really spreads
}

TEST_CASE("tracker: the first check is due within jitter x interval of creation") {
  ManualClock clock;
  ReplayRandom early({0.0});
  ReplayRandom late({0.999});
  auto s = settings(1, 1, InitialHealth::down_until_first_success, 0.5);
  Tracker a(s, early, clock.now());
  Tracker b(s, late, clock.now());
  CHECK(a.next_due() == clock.now());
  CHECK(b.next_due() > clock.now() + 990ms);
  CHECK(b.next_due() < clock.now() + 1s);
}
