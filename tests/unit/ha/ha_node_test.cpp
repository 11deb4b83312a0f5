#include <deque>
#include <map>
#include <string>

#include <catch2/catch.hpp>

#include "ha/ha_node.h"

using namespace std::chrono_literals;
using lvs::ha::Datagram;
using lvs::ha::DropReason;
using lvs::ha::HaNode;
using lvs::ha::HaSettings;
using lvs::ha::PersistentHa;
using lvs::ha::State;
using lvs::ha::TimePoint;
using lvs::ha::VipAddress;
using lvs::net::IpAddress;

namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

// A segment joining the nodes: what one sends is queued for the addressee.
struct Wire {
  std::map<IpAddress, std::deque<Datagram>> queues;
  bool cut = false;  // the master's host died: nothing arrives any more
  std::vector<Datagram> log;  // everything sent, for replay tests
};

class WireIo final : public lvs::ha::PacketIo {
 public:
  WireIo(Wire& wire, IpAddress self) : wire_(wire), self_(self) {}
  lvs::Status send(std::span<const std::uint8_t> payload, const IpAddress& dst) override {
    Datagram d{{payload.begin(), payload.end()}, {self_, dst, 255}};
    wire_.log.push_back(d);
    if (!wire_.cut) wire_.queues[dst].push_back(std::move(d));
    return lvs::ok();
  }
  lvs::Result<std::optional<Datagram>> receive() override {
    auto& q = wire_.queues[self_];
    if (q.empty()) return std::optional<Datagram>{};
    auto d = std::move(q.front());
    q.pop_front();
    return std::optional<Datagram>(std::move(d));
  }

 private:
  Wire& wire_;
  IpAddress self_;
};

struct CountingAnnouncer final : lvs::ha::Announcer {
  lvs::Status announce(const VipAddress&) override {
    ++count;
    return lvs::ok();
  }
  int count = 0;
};

lvs::model::Ha ha_config() {
  lvs::model::Ha ha;
  ha.virtual_router_id = 51;
  ha.interface = "eth0";
  ha.advert_interval_ms = 1000;
  ha.vips = {{*lvs::net::IpPrefix::parse("192.0.2.10/24"), "eth0"},
             {*lvs::net::IpPrefix::parse("2001:db8::10/64"), "eth0"}};
  return ha;
}

const lvs::model::Node kLb1{"lb1", ip("198.51.100.1"), 200};
const lvs::model::Node kLb2{"lb2", ip("198.51.100.2"), 100};

struct Balancer {
  WireIo io;
  lvs::ha::FakeAddresses addresses;
  CountingAnnouncer announcer;
  std::vector<std::string> changes;
  std::vector<std::string> logs;
  PersistentHa stored;
  HaNode node;
  Balancer(Wire& wire, const lvs::model::Node& self, const lvs::model::Node& peer, std::optional<std::string> key = {})
      : io(wire, self.address), node(settings(self, peer, key), io, addresses, announcer, events()) {}

  static HaSettings settings(const lvs::model::Node& self, const lvs::model::Node& peer,
                             const std::optional<std::string>& key) {
    HaSettings s;
    s.self = self;
    s.peers = {peer};
    s.ha = ha_config();
    if (key) {
      s.ha.authentication.type = lvs::model::AuthType::hmac_sha256;
      s.keys = *lvs::ha::parse_key_file(*key, "key");
    }
    return s;
  }
  lvs::ha::HaEvents events() {
    return {[this](State from, State to, const std::string& why) {
              changes.push_back(std::string(lvs::ha::to_string(from)) + "->" + std::string(lvs::ha::to_string(to)) +
                                " (" + why + ")");
            },
            [this](const std::string& line) { logs.push_back(line); },
            [this](const PersistentHa& p) { stored = p; }};
  }
  bool holds_vips() const { return addresses.configured.size() == 2; }
};

// Runs both nodes' timers and packets in 10 ms steps for `span`.
void run(Balancer& a, Balancer& b, TimePoint& now, std::chrono::milliseconds span) {
  const auto end = now + span;
  while (now < end) {
    now += 10ms;
    a.node.timers(now);
    b.node.timers(now);
    a.node.readable(now);
    b.node.readable(now);
  }
}

const std::string kKey(64, 'c');

// lb1 (200) and lb2 (100) started together and run until lb1 is master.
struct ElectedPair {
  Wire wire;
  Balancer a, b;
  TimePoint now{};
  explicit ElectedPair(std::optional<std::string> key = {}) : a(wire, kLb1, kLb2, key), b(wire, kLb2, kLb1, key) {
    REQUIRE(a.node.start(now, true, {}).ok());
    REQUIRE(b.node.start(now, true, {}).ok());
    run(a, b, now, 10s);
    REQUIRE(a.node.status().state == State::master);
  }
};

}  // namespace

TEST_CASE("ha node: a VIP left on the host by a crashed lvsd is removed before anything else") {
  Wire wire;
  Balancer b(wire, kLb2, kLb1);
  b.addresses.configured.push_back({*lvs::net::IpPrefix::parse("192.0.2.10/24"), "eth0"});
  REQUIRE(b.node.start(TimePoint{}, true, {}).ok());
  CHECK(b.addresses.configured.empty());
  REQUIRE_FALSE(b.logs.empty());
  CHECK(b.logs.front() == "removed VIP 192.0.2.10/24 left on eth0");
  CHECK(b.node.status().state == State::backup);
}

TEST_CASE("ha node: the pair elects the higher priority; only the master holds VIPs and announces them") {
  Wire wire;
  Balancer a(wire, kLb1, kLb2), b(wire, kLb2, kLb1);
  TimePoint now{};
  REQUIRE(a.node.start(now, true, {}).ok());
  REQUIRE(b.node.start(now, true, {}).ok());
  run(a, b, now, 10s);
  CHECK(a.node.status().state == State::master);
  CHECK(b.node.status().state == State::backup);
  CHECK(a.holds_vips());
  CHECK(b.addresses.configured.empty());
  CHECK(a.announcer.count == 2 * 3);  // both VIPs, a burst of three
  CHECK(b.announcer.count == 0);
  auto st = b.node.status();
  REQUIRE(st.peer);
  CHECK(st.peer->address == kLb1.address);
  CHECK(st.peer->priority == 200);
  CHECK(st.counters.received > 0);
  CHECK(a.changes.back() == "backup->master (no advert from the master for the master-down interval)");
}

TEST_CASE("ha node: an operator hand-over moves the VIPs in the same instant and the node stays standby") {
  ElectedPair pair;
  auto& [wire, a, b, now] = pair;
  REQUIRE(a.node.hand_over(now, true).ok());  // forced: without keys a standby is silent
  b.node.readable(now);
  b.node.timers(now);  // no time passes
  CHECK(b.node.status().state == State::master);
  CHECK(b.holds_vips());
  CHECK(a.addresses.configured.empty());
  CHECK(a.stored.held);
  // Higher priority, but held: it does not take the VIPs back.
  run(a, b, now, 30s);
  CHECK(a.node.status().state == State::backup);
  CHECK(b.node.status().state == State::master);
  a.node.resume();
  CHECK_FALSE(a.stored.held);
  run(a, b, now, 10s);
  CHECK(a.node.status().state == State::master);
  CHECK(b.node.status().state == State::backup);
}

TEST_CASE("ha node: the hold survives a restart") {
  Wire wire;
  Balancer a(wire, kLb1, kLb2), b(wire, kLb2, kLb1);
  TimePoint now{};
  (void)b.node.start(now, true, {});
  run(b, b, now, 5s);
  REQUIRE(b.node.status().state == State::master);
  // lb1 restarts after an operator hand-over: its saved hold keeps it standby even
  // though its priority is higher and preempt is on.
  PersistentHa saved;
  saved.held = true;
  (void)a.node.start(now, true, saved);
  run(a, b, now, 30s);
  CHECK(a.node.status().state == State::backup);
  CHECK(a.node.status().held);
  CHECK(b.node.status().state == State::master);
  CHECK(a.stored.held);
}

TEST_CASE("ha node: when the master's host dies the backup takes over after the master-down interval") {
  ElectedPair pair;
  auto& [wire, a, b, now] = pair;
  wire.cut = true;  // a's adverts no longer arrive
  const auto died = now;
  while (b.node.status().state != State::master && now < died + 10s) run(a, b, now, 10ms);
  CHECK(b.node.status().state == State::master);
  // Counted from the last advert heard: 3 x 1 s + skew (156/256 s) for priority 100,
  // to the 10 ms step of this loop.
  const auto heard = b.node.status().peer->at;
  CHECK(heard <= died);
  CHECK(now - heard >= 3s + 609ms);
  CHECK(now - heard <= 3s + 620ms);
}

TEST_CASE("ha node: a healed split brain: the master announces its VIPs again, whichever advert crosses first") {
  ElectedPair pair;
  auto& [wire, a, b, now] = pair;
  wire.cut = true;  // neither hears the other: b takes over too
  run(a, b, now, 6s);
  REQUIRE(a.node.status().state == State::master);
  REQUIRE(b.node.status().state == State::master);
  const int announced = a.announcer.count;
  wire.cut = false;
  // One side's advert timer fires first after the heal; the other's runs only once it
  // arrived. a hearing b's lower priority, or b stepping down on a's advert and saying so
  // with priority 0: a announces again either way.
  const bool b_first = GENERATE(true, false);
  CAPTURE(b_first);
  Balancer& first = b_first ? b : a;
  Balancer& second = b_first ? a : b;
  const auto sent = first.node.status().counters.sent;
  while (first.node.status().counters.sent == sent && now < TimePoint{} + 60s) {
    now += 10ms;
    first.node.timers(now);
  }
  second.node.readable(now);
  const auto healed = now;
  while (b.node.status().state != State::backup && now < healed + 3s) run(a, b, now, 10ms);
  run(a, b, now, 50ms);
  CHECK(b.node.status().state == State::backup);
  CHECK(a.node.status().state == State::master);
  // The neighbours learnt b's MAC from its announcements: a announces both VIPs again at
  // once instead of leaving them to b's MAC until the 60 s refresh.
  CHECK(a.announcer.count >= announced + 2);
  const int after_heal = a.announcer.count;
  run(a, b, now, 2s);
  CHECK(a.announcer.count - after_heal <= 2 * 2);  // the rest of one burst, no more
}

TEST_CASE("ha node: a healed split brain: the lower node steps down on the first advert it hears and drops its VIPs in that turn") {
  ElectedPair pair(kKey);
  auto& [wire, a, b, now] = pair;
  wire.cut = true;  // the link between them: both send, nothing arrives
  run(a, b, now, 10s);
  REQUIRE(a.node.status().state == State::master);
  REQUIRE(b.node.status().state == State::master);
  REQUIRE(b.holds_vips());
  const auto heard = b.node.status().counters.received;
  wire.cut = false;
  // Healed: step 10 ms at a time; the first of a's adverts that b reads must end it.
  const auto healed = now;
  while (b.node.status().counters.received == heard && now < healed + 5s) {
    now += 10ms;
    a.node.timers(now);
    b.node.timers(now);
    a.node.readable(now);
    b.node.readable(now);
  }
  CHECK(b.node.status().counters.received == heard + 1);
  CHECK(b.node.status().state == State::backup);
  CHECK(b.addresses.configured.empty());
  CHECK(b.changes.back() == "master->backup (advert from 198.51.100.1 with priority 200)");
  // Within one advert interval of a (1 s here), to the 10 ms step of the loop.
  CHECK(now - healed <= 1s + 10ms);
  CHECK(a.node.status().state == State::master);
  CHECK(a.holds_vips());
  run(a, b, now, 5s);
  CHECK(b.node.status().state == State::backup);
  CHECK(a.node.status().state == State::master);
}

TEST_CASE("ha node: SIGTERM on the master sends priority 0 and the backup takes over at once") {
  ElectedPair pair;
  auto& [wire, a, b, now] = pair;
  a.node.shutdown();
  CHECK(a.addresses.configured.empty());
  b.node.readable(now);
  b.node.timers(now);
  CHECK(b.node.status().state == State::master);
}

TEST_CASE("ha node: a tracked interface down is Fault: no VIP and no advert") {
  ElectedPair pair;
  auto& [wire, a, b, now] = pair;
  const auto sent = a.node.status().counters.sent;
  a.node.tracked(now, false, "eth0 is down");
  CHECK(a.node.status().state == State::fault);
  CHECK(a.node.status().fault == "eth0 is down");
  CHECK(a.addresses.configured.empty());
  run(a, b, now, 10s);
  CHECK(a.node.status().counters.sent == sent + 1);  // the priority-0 goodbye only
  CHECK(b.node.status().state == State::master);
}

TEST_CASE("ha node: adverts from an address that is not a node are dropped and counted") {
  Wire wire;
  Balancer b(wire, kLb2, kLb1);
  TimePoint now{};
  (void)b.node.start(now, true, {});
  lvs::ha::Advert forged{51, 250, 100, {ip("192.0.2.10")}};
  auto bytes = lvs::ha::encode_advert(forged, ip("198.51.100.66"), kLb2.address);
  wire.queues[kLb2.address].push_back({bytes, {ip("198.51.100.66"), kLb2.address, 255}});
  b.node.readable(now);
  CHECK(b.node.status().counters.dropped[static_cast<std::size_t>(DropReason::unknown_source)] == 1);
  CHECK(b.node.status().counters.received == 0);
}

TEST_CASE("ha node: with hmac-sha256 the pair works, a wrong key is refused, and replays are dropped") {
  Wire wire;
  Balancer a(wire, kLb1, kLb2, kKey), b(wire, kLb2, kLb1, kKey);
  TimePoint now{};
  (void)a.node.start(now, true, {});
  (void)b.node.start(now, true, {});
  run(a, b, now, 10s);
  CHECK(a.node.status().state == State::master);
  CHECK(b.node.status().state == State::backup);
  CHECK(a.stored.epoch == 1);
  REQUIRE(b.stored.peer_epochs.size() == 1);
  CHECK(b.stored.peer_epochs.front().second == 1);

  // Every advert a sent so far, replayed to b: all refused.
  std::size_t replayed = 0;
  for (const auto& d : wire.log)
    if (d.envelope.destination == kLb2.address) {
      wire.queues[kLb2.address].push_back(d);
      ++replayed;
    }
  b.node.readable(now);
  b.node.readable(now);
  CHECK(b.node.status().counters.dropped[static_cast<std::size_t>(DropReason::auth_replay)] == replayed);
  CHECK(b.node.status().state == State::backup);

  // A third party with another key, and a plain VRRP sender, cannot make b step anywhere.
  Wire other;
  Balancer stranger(other, kLb1, kLb2, std::string(64, 'd'));
  (void)stranger.node.start(now, true, {});
  run(stranger, stranger, now, 5s);
  for (auto& d : other.log) wire.queues[kLb2.address].push_back(d);
  b.node.readable(now);
  CHECK(b.node.status().counters.dropped[static_cast<std::size_t>(DropReason::auth_bad_key)] > 0);
}

TEST_CASE("ha node: after its own restart a receiver still refuses adverts from the peer's earlier runs") {
  Wire wire;
  Balancer a(wire, kLb1, kLb2, kKey);
  TimePoint now{};
  PersistentHa a_saved;
  a_saved.epoch = 4;  // a has started four times before
  (void)a.node.start(now, true, a_saved);
  CHECK(a.stored.epoch == 5);
  run(a, a, now, 5s);
  // Adverts of a's run with epoch 5; b restarts remembering that a reached epoch 6.
  Balancer b(wire, kLb2, kLb1, kKey);
  PersistentHa b_saved;
  b_saved.peer_epochs = {{kLb1.address, 6}};
  wire.queues[kLb2.address].clear();
  (void)b.node.start(now, true, b_saved);
  for (const auto& d : wire.log)
    if (d.envelope.destination == kLb2.address) wire.queues[kLb2.address].push_back(d);
  b.node.readable(now);
  CHECK(b.node.status().counters.received == 0);
  CHECK(b.node.status().counters.dropped[static_cast<std::size_t>(DropReason::auth_replay)] > 0);
}

TEST_CASE("ha node: a VIP that cannot be added is counted and logged; the others are still taken") {
  Wire wire;
  Balancer a(wire, kLb1, kLb2);
  TimePoint now{};
  (void)a.node.start(now, true, {});
  a.addresses.fail_next = 0;
  run(a, a, now, 3s);
  a.addresses.fail_next = EPERM;
  run(a, a, now, 2s);
  CHECK(a.node.status().state == State::master);
  CHECK(a.node.status().counters.vip_errors == 1);
  CHECK(a.node.status().vips_held.size() == 1);
  REQUIRE_FALSE(a.logs.empty());
  CHECK(a.logs.back().find("cannot add VIP 192.0.2.10/24") != std::string::npos);
}

TEST_CASE("ha node: with hmac-sha256 a backup reports itself and the master hands over only to a standby that reported") {
  Wire wire;
  Balancer a(wire, kLb1, kLb2, kKey), b(wire, kLb2, kLb1, kKey);
  TimePoint now{};
  REQUIRE(a.node.start(now, true, {}).ok());
  REQUIRE(b.node.start(now, true, {}).ok());
  run(a, b, now, 10s);
  REQUIRE(a.node.status().state == State::master);
  // About one report a second from the backup; the master's machine never sees them.
  CHECK(b.node.status().counters.reports_sent >= 6);
  CHECK(a.node.status().counters.reports_received >= 6);
  CHECK(a.node.status().counters.received == 0);
  REQUIRE(a.node.status().standby);
  CHECK(a.node.status().standby->address == kLb2.address);
  CHECK(a.node.status().standby->priority == 100);
  CHECK(a.node.hand_over_refusal(now).empty());

  // The standby's lvsd stops (b runs no more): 4 s later the master refuses, keeps the
  // VIPs and sets no hold.
  run(a, a, now, 4s);
  auto refused = a.node.hand_over(now);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message.find("the standby 198.51.100.2 last reported") != std::string::npos);
  CHECK(a.node.status().state == State::master);
  CHECK(a.holds_vips());
  CHECK_FALSE(a.node.status().held);
  CHECK_FALSE(a.stored.held);

  // It comes back: the next report makes the hand-over go through, in the same instant.
  run(a, b, now, 1100ms);
  REQUIRE(a.node.hand_over(now).ok());
  b.node.readable(now);
  b.node.timers(now);
  CHECK(b.node.status().state == State::master);
  CHECK(a.node.status().held);
}

TEST_CASE("ha node: a master refuses a hand-over when no standby ever reported, unless forced") {
  Wire wire;
  Balancer a(wire, kLb1, kLb2, kKey);
  TimePoint now{};
  REQUIRE(a.node.start(now, true, {}).ok());
  run(a, a, now, 5s);
  REQUIRE(a.node.status().state == State::master);
  auto refused = a.node.hand_over(now);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message.find("no standby has reported since this lvsd started") != std::string::npos);
  CHECK(a.node.status().state == State::master);
  CHECK(a.holds_vips());
  REQUIRE(a.node.hand_over(now, true).ok());
  CHECK(a.node.status().state == State::backup);
  CHECK(a.addresses.configured.empty());
}

TEST_CASE("ha node: without keys a master cannot know its standby, so a hand-over needs --force") {
  ElectedPair pair;
  auto& [wire, a, b, now] = pair;
  CHECK(b.node.status().counters.reports_sent == 0);  // plain VRRP: a backup stays silent
  auto refused = a.node.hand_over(now);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message.find("with authentication none a standby sends nothing") != std::string::npos);
  CHECK(a.node.status().state == State::master);
  // A backup only sets its hold: nothing to refuse.
  CHECK(b.node.hand_over(now).ok());
  CHECK(b.node.status().held);
}

TEST_CASE("ha node: a standby reloaded with a new VIP list still accepts the master's old list until it reloads too") {
  ElectedPair pair;
  auto& [wire, a, b, now] = pair;
  auto grown = Balancer::settings(kLb2, kLb1, {});
  grown.ha.vips.push_back({*lvs::net::IpPrefix::parse("192.0.2.20/24"), "eth0"});
  b.node.reconfigure(grown, now);  // the standby first, as the README says
  run(a, b, now, 10s);
  CHECK(b.node.status().state == State::backup);
  CHECK(b.node.status().counters.dropped[static_cast<std::size_t>(DropReason::addresses_differ)] == 0);
  auto master = Balancer::settings(kLb1, kLb2, {});
  master.ha.vips = grown.ha.vips;
  a.node.reconfigure(master, now);
  CHECK(a.node.status().state == State::master);
  CHECK(a.addresses.configured.size() == 3);  // 192.0.2.20 added at once
  run(a, b, now, 10s);
  CHECK(b.node.status().state == State::backup);
  CHECK(b.node.status().counters.dropped[static_cast<std::size_t>(DropReason::addresses_differ)] == 0);
  REQUIRE(b.node.status().peer);
  CHECK(b.node.status().peer->addresses.size() == 2);  // the IPv4 list: .10 and .20
}
