#include <catch2/catch.hpp>

#include <algorithm>

#include "ha/vrrp_machine.h"

using namespace std::chrono_literals;
using lvs::ha::Action;
using lvs::ha::ActionKind;
using lvs::ha::AdvertIn;
using lvs::ha::MachineConfig;
using lvs::ha::State;
using lvs::ha::TimePoint;
using lvs::ha::VrrpMachine;
using lvs::net::IpAddress;

namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

const IpAddress kSelf = ip("198.51.100.1");
const IpAddress kPeer = ip("198.51.100.2");

MachineConfig config(std::uint8_t priority) {
  MachineConfig c;
  c.priority = priority;
  c.advert_interval_cs = 100;  // 1 s
  c.primary = kSelf;
  return c;
}

bool has(const std::vector<Action>& actions, ActionKind kind) {
  for (const auto& a : actions)
    if (a.kind == kind) return true;
  return false;
}

bool sends(const std::vector<Action>& actions, std::uint8_t priority) {
  for (const auto& a : actions)
    if (a.kind == ActionKind::send_advert && a.priority == priority) return true;
  return false;
}

// Steps the machine's own deadlines up to `until`, returning every action taken.
std::vector<Action> run_until(VrrpMachine& m, TimePoint& now, TimePoint until) {
  std::vector<Action> all;
  for (int i = 0; i < 10000; ++i) {
    auto next = m.next_deadline();
    if (!next || *next > until) break;
    now = *next;
    auto acts = m.timers(now);
    all.insert(all.end(), acts.begin(), acts.end());
  }
  now = until;
  return all;
}

}  // namespace

TEST_CASE("vrrp machine: start enters Backup without VIPs and arms the master-down timer") {
  VrrpMachine m(config(100));
  TimePoint now{};
  auto acts = m.start(now, true);
  CHECK(m.state() == State::backup);
  CHECK(has(acts, ActionKind::drop_vips));
  CHECK(has(acts, ActionKind::state_changed));
  CHECK_FALSE(has(acts, ActionKind::take_vips));
  // RFC 5798: 3 x interval + (256 - priority) x interval / 256.
  CHECK(m.skew() == std::chrono::microseconds(156 * 1000000 / 256));
  REQUIRE(m.master_down_at());
  CHECK(*m.master_down_at() == now + 3s + m.skew());
}

TEST_CASE("vrrp machine: a silent peer makes the backup master once the master-down interval passed") {
  VrrpMachine m(config(100));
  TimePoint now{};
  (void)m.start(now, true);
  auto quiet = run_until(m, now, now + 3s);
  CHECK(m.state() == State::backup);
  CHECK(quiet.empty());
  auto acts = run_until(m, now, now + 1s);
  CHECK(m.state() == State::master);
  CHECK(has(acts, ActionKind::take_vips));
  CHECK(sends(acts, 100));
  // Then one advert per interval.
  auto later = run_until(m, now, now + 3s);
  int adverts = 0;
  for (const auto& a : later) adverts += a.kind == ActionKind::send_advert;
  CHECK(adverts == 3);
}

TEST_CASE("vrrp machine: adverts from a higher-priority master keep the backup a backup") {
  VrrpMachine m(config(100));
  TimePoint now{};
  (void)m.start(now, true);
  for (int i = 0; i < 20; ++i) {
    now += 1s;
    CHECK(m.advert(now, {kPeer, 200, 100}).empty());
    CHECK(m.timers(now).empty());
  }
  CHECK(m.state() == State::backup);
}

TEST_CASE("vrrp machine: the backup learns the master's advert interval") {
  VrrpMachine m(config(100));
  TimePoint now{};
  (void)m.start(now, true);
  (void)m.advert(now, {kPeer, 200, 20});  // 200 ms
  CHECK(m.master_interval() == 200ms);
  CHECK(*m.master_down_at() == now + 600ms + m.skew());
}

TEST_CASE("vrrp machine: with one peer, a priority-0 advert makes the backup master at once") {
  VrrpMachine m(config(100));
  TimePoint now{};
  (void)m.start(now, true);
  (void)m.advert(now, {kPeer, 200, 100});
  now += 500ms;
  CHECK(m.advert(now, {kPeer, 0, 100}).empty());
  auto acts = m.timers(now);  // due right now: no skew wait
  CHECK(m.state() == State::master);
  CHECK(has(acts, ActionKind::take_vips));
}

TEST_CASE("vrrp machine: with several backups, a priority-0 advert waits the skew time") {
  auto c = config(100);
  c.single_peer = false;
  VrrpMachine m(c);
  TimePoint now{};
  (void)m.start(now, true);
  (void)m.advert(now, {kPeer, 0, 100});
  CHECK(*m.master_down_at() == now + m.skew());
  CHECK(m.timers(now).empty());
  (void)run_until(m, now, now + m.skew());
  CHECK(m.state() == State::master);
}

TEST_CASE("vrrp machine: a higher-priority backup preempts a lower master by letting the timer run out") {
  VrrpMachine m(config(200));
  TimePoint now{};
  (void)m.start(now, true);
  std::vector<Action> acts;
  for (int i = 0; i < 5 && m.state() == State::backup; ++i) {
    (void)m.advert(now, {kPeer, 100, 100});
    acts = run_until(m, now, now + 1s);
  }
  CHECK(m.state() == State::master);
}

TEST_CASE("vrrp machine: without preempt, or within preempt_delay, a lower master is followed") {
  auto c = config(200);
  SECTION("preempt off") { c.preempt = false; }
  SECTION("preempt delay not yet over") { c.preempt_delay = 60s; }
  VrrpMachine m(c);
  TimePoint now{};
  (void)m.start(now, true);
  for (int i = 0; i < 30; ++i) {
    (void)m.advert(now, {kPeer, 100, 100});
    (void)run_until(m, now, now + 1s);
  }
  CHECK(m.state() == State::backup);
}

TEST_CASE("vrrp machine: once preempt_delay is over, the higher-priority node takes over") {
  auto c = config(200);
  c.preempt_delay = 5s;
  VrrpMachine m(c);
  TimePoint now{};
  (void)m.start(now, true);
  for (int i = 0; i < 12 && m.state() == State::backup; ++i) {
    (void)m.advert(now, {kPeer, 100, 100});
    (void)run_until(m, now, now + 1s);
  }
  CHECK(m.state() == State::master);
  CHECK(now >= TimePoint{} + 5s);
}

TEST_CASE("vrrp machine: a master steps down for a higher priority, and for an equal one with a higher address") {
  VrrpMachine m(config(100));
  TimePoint now{};
  (void)m.start(now, true);
  (void)run_until(m, now, now + 4s);
  REQUIRE(m.state() == State::master);

  SECTION("lower priority (a split brain healing): stay, advertise at once and announce the VIPs again") {
    auto acts = m.advert(now, {kPeer, 50, 100});
    CHECK(m.state() == State::master);
    CHECK(sends(acts, 100));
    CHECK(has(acts, ActionKind::announce_vips));
    CHECK(m.next_deadline() == now + 1s);  // the advert timer starts again
  }
  SECTION("equal priority, lower address: stay, and the same") {
    auto acts = m.advert(now, {ip("198.51.100.0"), 100, 100});
    CHECK(m.state() == State::master);
    CHECK(has(acts, ActionKind::announce_vips));
  }
  SECTION("equal priority, higher address: step down, saying so with priority 0") {
    auto acts = m.advert(now, {kPeer, 100, 100});
    CHECK(m.state() == State::backup);
    CHECK(has(acts, ActionKind::drop_vips));
    CHECK(sends(acts, 0));
    // The VIPs go before the priority 0: the new master answers it with an advert at once,
    // and the ex-master must hold nothing by then (kernel_ha_keepalived checks it on the wire).
    const auto drop = std::find(acts.begin(), acts.end(), Action{ActionKind::drop_vips});
    const auto zero = std::find(acts.begin(), acts.end(), Action{ActionKind::send_advert, 0});
    CHECK(drop < zero);
  }
  SECTION("higher priority: step down and learn its interval") {
    auto acts = m.advert(now, {kPeer, 150, 50});
    CHECK(m.state() == State::backup);
    CHECK(has(acts, ActionKind::drop_vips));
    CHECK(m.master_interval() == 500ms);
  }
  SECTION("priority 0 from another node: answer with an advert at once and announce the VIPs again") {
    auto acts = m.advert(now, {kPeer, 0, 100});
    CHECK(m.state() == State::master);
    CHECK(sends(acts, 100));
    CHECK(has(acts, ActionKind::announce_vips));
  }
}

TEST_CASE("vrrp machine: a hand-over sends priority 0, drops the VIPs and holds the node as standby") {
  VrrpMachine m(config(200));
  TimePoint now{};
  (void)m.start(now, true);
  (void)run_until(m, now, now + 4s);
  REQUIRE(m.state() == State::master);
  auto acts = m.hand_over(now);
  CHECK(sends(acts, 0));
  CHECK(has(acts, ActionKind::drop_vips));
  CHECK(m.state() == State::backup);
  CHECK(m.held());
  // The lower-priority peer is master now; held, we follow it instead of preempting.
  for (int i = 0; i < 30; ++i) {
    (void)m.advert(now, {kPeer, 100, 100});
    (void)run_until(m, now, now + 1s);
  }
  CHECK(m.state() == State::backup);
  // Resumed, we preempt again.
  (void)m.resume();
  for (int i = 0; i < 6 && m.state() == State::backup; ++i) {
    (void)m.advert(now, {kPeer, 100, 100});
    (void)run_until(m, now, now + 1s);
  }
  CHECK(m.state() == State::master);
}

TEST_CASE("vrrp machine: a held standby still takes over when the master goes silent") {
  VrrpMachine m(config(200));
  m.set_held(true);
  TimePoint now{};
  (void)m.start(now, true);
  (void)m.advert(now, {kPeer, 100, 100});
  (void)run_until(m, now, now + 10s);
  CHECK(m.state() == State::master);
}

TEST_CASE("vrrp machine: a tracked interface down means Fault, no VIPs and no adverts") {
  VrrpMachine m(config(100));
  TimePoint now{};
  (void)m.start(now, true);
  (void)run_until(m, now, now + 4s);
  REQUIRE(m.state() == State::master);
  auto acts = m.tracked(now, false);
  CHECK(m.state() == State::fault);
  CHECK(has(acts, ActionKind::drop_vips));
  CHECK(sends(acts, 0));
  CHECK_FALSE(m.next_deadline());
  CHECK(run_until(m, now, now + 60s).empty());
  CHECK(m.advert(now, {kPeer, 50, 100}).empty());
  CHECK(m.state() == State::fault);

  acts = m.tracked(now, true);
  CHECK(m.state() == State::backup);
  CHECK(m.master_down_at());
}

TEST_CASE("vrrp machine: starting with a tracked interface down goes straight to Fault") {
  VrrpMachine m(config(100));
  auto acts = m.start(TimePoint{}, false);
  CHECK(m.state() == State::fault);
  CHECK(has(acts, ActionKind::drop_vips));
  CHECK_FALSE(m.next_deadline());
}

TEST_CASE("vrrp machine: shutdown of a master sends priority 0 and drops the VIPs; of a backup, only drops") {
  VrrpMachine m(config(100));
  TimePoint now{};
  (void)m.start(now, true);
  auto backup_acts = m.shutdown();
  CHECK_FALSE(sends(backup_acts, 0));
  CHECK(has(backup_acts, ActionKind::drop_vips));
  CHECK(m.state() == State::initialize);

  (void)m.start(now, true);
  (void)run_until(m, now, now + 4s);
  REQUIRE(m.state() == State::master);
  auto acts = m.shutdown();
  CHECK(sends(acts, 0));
  CHECK(has(acts, ActionKind::drop_vips));
  CHECK(m.state() == State::initialize);
  CHECK_FALSE(m.next_deadline());
}

TEST_CASE("vrrp machine: two machines wired back to back elect one master and hand over on priority 0") {
  MachineConfig ca = config(200);
  MachineConfig cb = config(100);
  cb.primary = kPeer;
  VrrpMachine a(ca), b(cb);
  TimePoint now{};
  (void)a.start(now, true);
  (void)b.start(now, true);
  // Deliver each send_advert to the other at once.
  auto deliver = [&](VrrpMachine& from, VrrpMachine& to, const std::vector<Action>& acts) {
    for (const auto& act : acts)
      if (act.kind == ActionKind::send_advert)
        (void)to.advert(now, {from.config().primary, act.priority, from.config().advert_interval_cs});
  };
  for (int step = 0; step < 2000; ++step) {
    now += 10ms;
    deliver(a, b, a.timers(now));
    deliver(b, a, b.timers(now));
  }
  CHECK(a.state() == State::master);
  CHECK(b.state() == State::backup);
  deliver(a, b, a.hand_over(now));
  deliver(b, a, b.timers(now));  // b takes over in the same instant
  CHECK(b.state() == State::master);
  CHECK(a.state() == State::backup);
}

TEST_CASE("vrrp machine: a new master sends its advert before it takes the VIPs (RFC 5798 6.4.2)") {
  VrrpMachine m(config(100));
  TimePoint now{};
  (void)m.start(now, true);
  auto acts = run_until(m, now, now + 5s);
  REQUIRE(m.state() == State::master);
  std::vector<ActionKind> order;
  for (const auto& a : acts)
    if (a.kind == ActionKind::send_advert || a.kind == ActionKind::take_vips) order.push_back(a.kind);
  REQUIRE(order.size() >= 2);
  CHECK(order[0] == ActionKind::send_advert);
  CHECK(order[1] == ActionKind::take_vips);
}
