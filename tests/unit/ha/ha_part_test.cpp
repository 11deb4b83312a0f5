#include <deque>
#include <map>
#include <string>

#include <catch2/catch.hpp>

#include "common/file_io.h"
#include "daemon/ha_part.h"
#include "ha/ha_state.h"
#include "ipvs/fake_ipvs.h"
#include "support/temp_dir.h"

using namespace std::chrono_literals;
using lvs::ha::State;
using lvs::ha::TimePoint;
using lvs::net::IpAddress;

namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

class NullIo final : public lvs::ha::PacketIo {
 public:
  lvs::Status send(std::span<const std::uint8_t>, const IpAddress&) override {
    ++sent;
    return lvs::ok();
  }
  lvs::Result<std::optional<lvs::ha::Datagram>> receive() override {
    if (inbox.empty()) return std::optional<lvs::ha::Datagram>{};
    auto d = std::move(inbox.front());
    inbox.pop_front();
    return std::optional<lvs::ha::Datagram>(std::move(d));
  }
  int fd() const override { return 42; }
  int sent = 0;
  std::deque<lvs::ha::Datagram> inbox;  // what the peer sent us
};

struct NoAnnounce final : lvs::ha::Announcer {
  lvs::Status announce(const lvs::ha::VipAddress&) override { return lvs::ok(); }
};

struct MemoryLog final : lvsd::Logger {
  void write(lvsd::Level, std::string_view line) override { lines.emplace_back(line); }
  bool enabled(lvsd::Level) const override { return true; }
  bool has(const std::string& text) const {
    for (const auto& l : lines)
      if (l.find(text) != std::string::npos) return true;
    return false;
  }
  std::vector<std::string> lines;
};

// Records every call; `fail` makes them fail as an nft error would.
struct FakeGrace final : lvs::ha::GraceFilter {
  explicit FakeGrace(lvs::ha::FakeAddresses& a) : addresses(a) {}
  lvs::Status install(const lvs::ha::GraceRules& rules) override {
    calls.push_back("install");
    installed = rules;
    vips_at_install = addresses.configured.size();
    if (fail) return lvs::make_error(EPERM, "nftables: cannot install table inet lvsd: Operation not permitted");
    return lvs::ok();
  }
  lvs::Status remove() override {
    calls.push_back("remove");
    if (fail) return lvs::make_error(EPERM, "nftables: cannot remove table inet lvsd: Operation not permitted");
    return lvs::ok();
  }
  lvs::ha::FakeAddresses& addresses;
  std::vector<std::string> calls;
  lvs::ha::GraceRules installed;
  std::size_t vips_at_install = 0;
  bool fail = false;
};

lvs::model::VirtualService tcp_service(const char* address, std::uint16_t port, lvs::model::ForwardMethod method,
                                       std::vector<lvs::model::Real> reals) {
  lvs::model::VirtualService s;
  s.name = std::string(address) + "/" + std::to_string(port);
  s.address = ip(address);
  s.port = port;
  s.forwarding.method = method;
  s.reals = std::move(reals);
  return s;
}

lvs::model::Cluster cluster() {
  lvs::model::Cluster c;
  c.name = "mail";
  c.nodes = {{"lb1", ip("198.51.100.1"), 200}, {"lb2", ip("198.51.100.2"), 100}};
  lvs::model::Ha ha;
  ha.virtual_router_id = 51;
  ha.interface = "eth1";
  ha.vips = {{*lvs::net::IpPrefix::parse("192.0.2.10/24"), "eth0"}};
  ha.sync = lvs::model::Sync{"eth1", 51};
  ha.notify = {"/usr/local/sbin/notify", "--cluster", "mail"};
  c.ha = ha;
  using lvs::model::ForwardMethod;
  c.virtual_services = {tcp_service("192.0.2.10", 25, ForwardMethod::masq, {{ip("203.0.113.11"), 25}, {ip("203.0.113.12"), 2525}}),
                        tcp_service("192.0.2.10", 143, ForwardMethod::masq, {{ip("203.0.113.11"), 143}})};
  return c;
}

struct Rig {
  lvs::ipvs::FakeIpvs ipvs;
  lvs::ha::FakeAddresses addresses;
  NoAnnounce announcer;
  MemoryLog log;
  std::map<std::string, bool> links{{"eth0", true}, {"eth1", true}};
  std::vector<std::vector<std::string>> spawned;
  NullIo* io = nullptr;
  lvs::testing::TempDir dir;
  std::string key_text = std::string(64, 'e');
  FakeGrace grace{addresses};

  Rig() { ipvs.add_interface("eth1", 1500); }

  lvsd::HaPartDeps deps(std::vector<IpAddress> local = {ip("198.51.100.1")}) {
    return {ipvs,
            addresses,
            announcer,
            [this](const lvs::ha::SocketConfig&) -> lvs::Result<std::unique_ptr<lvs::ha::PacketIo>> {
              auto p = std::make_unique<NullIo>();
              io = p.get();
              return std::unique_ptr<lvs::ha::PacketIo>(std::move(p));
            },
            [this](const std::string& i) { return links.count(i) ? links.at(i) : false; },
            [this](const std::vector<std::string>& argv) {
              spawned.push_back(argv);
              return lvs::ok();
            },
            log,
            [this](const std::string&) -> lvs::Result<std::string> { return key_text; },
            dir.file("ha.json"),
            std::move(local),
            &grace};
  }
};

std::unique_ptr<lvsd::HaPart> make(Rig& rig, const lvs::model::Cluster& c = cluster(), const std::string& node = "") {
  auto part = lvsd::HaPart::create(c, node, rig.deps());
  REQUIRE(part.ok());
  REQUIRE(*part);
  return std::move(*part);
}

void run(lvsd::HaPart& part, TimePoint& now, std::chrono::milliseconds span) {
  const auto end = now + span;
  while (now < end) {
    now += 10ms;
    part.timers(now);
  }
}

}  // namespace

TEST_CASE("ha part: no ha section, no part") {
  Rig rig;
  auto c = cluster();
  c.ha.reset();
  auto part = lvsd::HaPart::create(c, "", rig.deps());
  REQUIRE(part.ok());
  CHECK_FALSE(*part);
}

TEST_CASE("ha part: the node is the one whose address is local, or a clear start error") {
  Rig rig;
  auto part = make(rig);
  CHECK(part->settings().self.name == "lb1");
  CHECK(part->fd() == 42);
  auto none = lvsd::HaPart::create(cluster(), "", rig.deps({ip("127.0.0.1")}));
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().message.find("none of the nodes' addresses is local") != std::string::npos);
}

TEST_CASE("ha part: start runs both sync daemons on the sync interface, and only once") {
  Rig rig;
  auto part = make(rig);
  TimePoint now{};
  REQUIRE(part->start(now).ok());
  auto daemons = rig.ipvs.sync_daemons();
  REQUIRE(daemons.ok());
  REQUIRE(daemons->size() == 2);
  for (const auto& d : *daemons) {
    CHECK(d.interface == "eth1");
    CHECK(d.sync_id == 51);
  }
  const auto writes = rig.ipvs.writes();
  run(*part, now, 61s);  // two sync checks
  CHECK(rig.ipvs.writes() == writes);
  CHECK(part->status().sync.size() == 2);
}

TEST_CASE("ha part: a stopped sync daemon is started again") {
  Rig rig;
  auto part = make(rig);
  TimePoint now{};
  REQUIRE(part->start(now).ok());
  REQUIRE(rig.ipvs.stop_sync_daemon(lvs::ipvs::SyncState::backup).ok());
  run(*part, now, 31s);
  CHECK(rig.ipvs.sync_daemons()->size() == 2);
}

namespace {

const lvs::ipvs::SyncDaemon* daemon(const std::vector<lvs::ipvs::SyncDaemon>& list, lvs::ipvs::SyncState state) {
  for (const auto& d : list)
    if (d.state == state) return &d;
  return nullptr;
}

lvs::model::Cluster with_send(lvs::model::SyncSend send) {
  auto c = cluster();
  c.ha->sync->send = send;
  return c;
}

}  // namespace

TEST_CASE("ha part: send each starts the master sync daemon with one connection per message, the backup at the "
          "kernel's default") {
  Rig rig;
  auto part = make(rig, with_send(lvs::model::SyncSend::each));
  TimePoint now{};
  REQUIRE(part->start(now).ok());
  auto daemons = rig.ipvs.sync_daemons();
  REQUIRE(daemons.ok());
  auto* master = daemon(*daemons, lvs::ipvs::SyncState::master);
  auto* backup = daemon(*daemons, lvs::ipvs::SyncState::backup);
  REQUIRE(master);
  REQUIRE(backup);
  CHECK(master->max_len == 1);
  CHECK(backup->max_len == 1500 - 28);  // its receive buffer: never made small
  CHECK(part->status().sync ==
        std::vector<std::string>{"master on eth1 id 51, maxlen 1 (each)", "backup on eth1 id 51, maxlen 1472"});
}

TEST_CASE("ha part: send batched leaves the master sync daemon's message size to the kernel (MTU-sized)") {
  Rig rig;
  auto part = make(rig, with_send(lvs::model::SyncSend::batched));
  TimePoint now{};
  REQUIRE(part->start(now).ok());
  auto daemons = rig.ipvs.sync_daemons();
  REQUIRE(daemons.ok());
  REQUIRE(daemon(*daemons, lvs::ipvs::SyncState::master));
  CHECK(daemon(*daemons, lvs::ipvs::SyncState::master)->max_len == 1500 - 28);
  CHECK(part->status().sync.front() == "master on eth1 id 51, maxlen 1472 (batched)");
}

TEST_CASE("ha part: a reload that changes ha.sync.send restarts only the master sync daemon and logs why") {
  Rig rig;
  auto part = make(rig, with_send(lvs::model::SyncSend::each));
  TimePoint now{};
  REQUIRE(part->start(now).ok());
  rig.ipvs.reset_writes();
  auto next = part->prepare(with_send(lvs::model::SyncSend::batched), now);
  REQUIRE(next.ok());
  part->apply(std::move(*next), now);
  CHECK(rig.ipvs.writes() == 2);  // stop and start the master; the backup untouched
  auto daemons = rig.ipvs.sync_daemons();
  REQUIRE(daemons->size() == 2);
  CHECK(daemon(*daemons, lvs::ipvs::SyncState::master)->max_len == 1472);
  CHECK(rig.log.has("ha: sync daemon master on eth1 id 51, maxlen 1 (each) stopped to restart it: maxlen 1, wanted "
                    "1472 (ha.sync.send batched)"));
  CHECK_FALSE(rig.log.has("sync daemon backup on eth1 id 51, maxlen 1472 stopped"));

  rig.ipvs.reset_writes();
  next = part->prepare(with_send(lvs::model::SyncSend::each), now);
  REQUIRE(next.ok());
  part->apply(std::move(*next), now);
  CHECK(rig.ipvs.writes() == 2);
  CHECK(daemon(*rig.ipvs.sync_daemons(), lvs::ipvs::SyncState::master)->max_len == 1);
}

TEST_CASE("ha part: an unchanged sync setting restarts no sync daemon: not on reload, not when lvsd starts again") {
  for (auto send : {lvs::model::SyncSend::each, lvs::model::SyncSend::batched}) {
    CAPTURE(lvs::model::to_string(send));
    Rig rig;
    auto part = make(rig, with_send(send));
    TimePoint now{};
    REQUIRE(part->start(now).ok());
    rig.ipvs.reset_writes();
    auto next = part->prepare(with_send(send), now);
    REQUIRE(next.ok());
    part->apply(std::move(*next), now);
    run(*part, now, 31s);  // one sync check
    CHECK(rig.ipvs.writes() == 0);
    part.reset();  // lvsd stops (the daemons keep running) and starts again
    auto again = make(rig, with_send(send));
    REQUIRE(again->start(now).ok());
    CHECK(rig.ipvs.writes() == 0);
  }
}

TEST_CASE("ha part: a master sync daemon of another size left by someone else is restarted with ours") {
  Rig rig;
  REQUIRE(rig.ipvs.start_sync_daemon({lvs::ipvs::SyncState::master, "eth1", 51, 1000, std::nullopt, 0, 0}).ok());
  auto part = make(rig, with_send(lvs::model::SyncSend::batched));
  TimePoint now{};
  REQUIRE(part->start(now).ok());
  CHECK(daemon(*rig.ipvs.sync_daemons(), lvs::ipvs::SyncState::master)->max_len == 1472);
  CHECK(rig.log.has("stopped to restart it: maxlen 1000, wanted 1472 (ha.sync.send batched)"));
}

TEST_CASE("ha part: alone, the node becomes master, takes the VIP and runs notify with the state, no shell") {
  Rig rig;
  auto part = make(rig);
  TimePoint now{};
  REQUIRE(part->start(now).ok());
  run(*part, now, 5s);
  CHECK(part->status().ha.state == State::master);
  CHECK(rig.addresses.configured.size() == 1);
  REQUIRE(rig.spawned.size() == 2);
  CHECK(rig.spawned[0] == std::vector<std::string>{"/usr/local/sbin/notify", "--cluster", "mail", "backup"});
  CHECK(rig.spawned[1] == std::vector<std::string>{"/usr/local/sbin/notify", "--cluster", "mail", "master"});
  CHECK(rig.log.has("ha: backup -> master (no advert from the master for the master-down interval)"));
}

TEST_CASE("ha part: a tracked interface going down is Fault within the link check, and up again is Backup") {
  Rig rig;
  auto part = make(rig);
  TimePoint now{};
  REQUIRE(part->start(now).ok());
  run(*part, now, 5s);
  REQUIRE(part->status().ha.state == State::master);
  rig.links["eth0"] = false;  // a VIP's interface
  run(*part, now, 200ms);
  CHECK(part->status().ha.state == State::fault);
  CHECK(part->status().ha.fault == "tracked interface eth0 is down");
  CHECK(part->status().tracked_down == std::vector<std::string>{"eth0"});
  CHECK(rig.addresses.configured.empty());
  CHECK(rig.spawned.back().back() == "fault");
  rig.links["eth0"] = true;
  run(*part, now, 200ms);
  CHECK(part->status().ha.state == State::backup);
}

TEST_CASE("ha part: a table that cannot be programmed is Fault") {
  Rig rig;
  auto part = make(rig);
  TimePoint now{};
  REQUIRE(part->start(now).ok());
  run(*part, now, 5s);
  part->table_fault(now, true, "add service tcp 192.0.2.10:25: Cannot allocate memory");
  CHECK(part->status().ha.state == State::fault);
  CHECK(rig.addresses.configured.empty());
  part->table_fault(now, false, "");
  CHECK(part->status().ha.state == State::backup);
}

TEST_CASE("ha part: the hand-over hold is kept in ha.json and honoured after a restart") {
  Rig rig;
  TimePoint now{};
  {
    auto part = make(rig);
    REQUIRE(part->start(now).ok());
    run(*part, now, 5s);
    REQUIRE(part->hand_over(now, true).ok());  // forced: this rig has no peer
    CHECK(part->status().ha.held);
  }
  auto saved = lvs::ha::load_ha_state(rig.dir.file("ha.json"));
  REQUIRE(saved.ok());
  CHECK(saved->held);
  auto again = make(rig);
  REQUIRE(again->start(now).ok());
  CHECK(again->status().ha.held);
  CHECK(rig.log.has("held as standby since an operator hand-over"));
}

TEST_CASE("ha part: a corrupt ha.json stops the start instead of guessing an epoch") {
  Rig rig;
  {
    lvs::AtomicWriteOptions o;
    o.max_bytes = 1024;
    REQUIRE(lvs::write_file_atomic(rig.dir.file("ha.json"), "{\"version\":1}", o).ok());
  }
  auto part = make(rig);
  auto s = part->start(TimePoint{});
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().message.find("/epoch") != std::string::npos);
}

TEST_CASE("ha part: hmac-sha256 reads its key file; a bad one is a start error naming the file") {
  Rig rig;
  auto c = cluster();
  c.ha->authentication = {lvs::model::AuthType::hmac_sha256, "/etc/lvs/vrrp.key"};
  auto part = make(rig, c);
  TimePoint now{};
  REQUIRE(part->start(now).ok());
  run(*part, now, 5s);
  auto saved = lvs::ha::load_ha_state(rig.dir.file("ha.json"));
  REQUIRE(saved.ok());
  CHECK(saved->epoch == 1);
  rig.key_text = "too short";
  auto bad = lvsd::HaPart::create(c, "", rig.deps());
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.rfind("/etc/lvs/vrrp.key:1:", 0) == 0);
}

namespace {

lvs::model::Cluster with_vips(lvs::model::Cluster c, std::initializer_list<const char*> vips) {
  c.ha->vips.clear();
  for (const char* v : vips) c.ha->vips.push_back({*lvs::net::IpPrefix::parse(v), "eth0"});
  return c;
}

// lb2's standby report to lb1 listing `vips`, signed with the rig's key.
lvs::ha::Datagram standby_report(const Rig& rig, std::vector<IpAddress> vips, std::uint32_t seq) {
  lvs::ha::Advert a{51, 100, 100, std::move(vips), lvs::ha::kTypeStandby};
  auto wire = lvs::ha::encode_advert(a, ip("198.51.100.2"), ip("198.51.100.1"));
  auto ring = lvs::ha::parse_key_file(rig.key_text, "key");
  auto trailer = lvs::ha::sign(wire, ip("198.51.100.2"), ip("198.51.100.1"), ring->keys.front(),
                               (std::uint64_t{1} << 32) | seq);
  wire.insert(wire.end(), trailer.begin(), trailer.end());
  return {wire, {ip("198.51.100.2"), ip("198.51.100.1"), 255}};
}

}  // namespace

TEST_CASE("ha part: a master refuses a reload with new VIPs while its standby reports the old list") {
  Rig rig;
  auto c = cluster();
  c.ha->authentication = {lvs::model::AuthType::hmac_sha256, "/etc/lvsd/vrrp.key"};
  auto part = make(rig, c);
  TimePoint now{};
  REQUIRE(part->start(now).ok());
  run(*part, now, 5s);
  REQUIRE(part->state() == State::master);
  rig.io->inbox.push_back(standby_report(rig, {ip("192.0.2.10")}, 1));
  part->readable(now);
  REQUIRE(part->status().ha.standby);

  auto grown = with_vips(c, {"192.0.2.10/24", "192.0.2.20/24"});
  auto refused = part->prepare(grown, now);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message.find("the standby 198.51.100.2 still runs the old list: reload it first") !=
        std::string::npos);
  CHECK(rig.addresses.configured.size() == 1);

  // The standby reloaded: its next report lists the new VIPs, and the master follows.
  rig.io->inbox.push_back(standby_report(rig, {ip("192.0.2.10"), ip("192.0.2.20")}, 2));
  part->readable(now);
  auto next = part->prepare(grown, now);
  REQUIRE(next.ok());
  part->apply(std::move(*next), now);
  CHECK(part->state() == State::master);
  CHECK(rig.addresses.configured.size() == 2);

  // The key file is read again on every reload (key rotation); a broken one is refused.
  rig.key_text = "not hex";
  CHECK_FALSE(part->prepare(grown, now).ok());
}

namespace {

// Runs in 10 ms steps until the node is master (bounded: 10 s).
void run_until_master(lvsd::HaPart& part, TimePoint& now) {
  for (int i = 0; i < 1000 && part.state() != State::master; ++i) {
    now += 10ms;
    part.timers(now);
  }
  REQUIRE(part.state() == State::master);
}

}  // namespace

TEST_CASE("takeover grace: rules cover the TCP services on a VIP and the reals of the NAT ones only") {
  auto c = cluster();
  using lvs::model::ForwardMethod;
  c.virtual_services.push_back(tcp_service("198.51.100.50", 25, ForwardMethod::masq, {{ip("203.0.113.13"), 25}}));
  c.virtual_services.push_back(tcp_service("192.0.2.10", 80, ForwardMethod::droute, {{ip("203.0.113.14"), 80}}));
  auto udp = tcp_service("192.0.2.10", 53, ForwardMethod::masq, {{ip("203.0.113.15"), 53}});
  udp.protocol = lvs::model::Protocol::udp;
  c.virtual_services.push_back(udp);
  const auto r = lvs::ha::grace_rules(c);
  using E = lvs::ha::GraceEndpoint;
  CHECK(r.services == std::vector<E>{{ip("192.0.2.10"), 25}, {ip("192.0.2.10"), 80}, {ip("192.0.2.10"), 143}});
  CHECK(r.nat_reals == std::vector<E>{{ip("203.0.113.11"), 25}, {ip("203.0.113.11"), 143}, {ip("203.0.113.12"), 2525}});
  const auto script = lvs::ha::grace_script(r);
  CHECK(script.find("ip daddr 192.0.2.10 tcp dport 143 tcp flags & syn == 0 drop") != std::string::npos);
  CHECK(script.find("ip saddr 203.0.113.12 tcp sport 2525 drop") != std::string::npos);
  CHECK(script.find("hook input priority 200") != std::string::npos);
  CHECK(script.find("hook forward priority 200") != std::string::npos);
  CHECK(script.rfind("add table inet lvsd\ndelete table inet lvsd\n", 0) == 0);  // replaces a leftover
}

TEST_CASE("takeover grace: a marked fwmark service on a VIP is covered on each of its ports; an operator-marked one is not") {
  auto c = cluster();
  using lvs::model::ForwardMethod;
  // fwmark 10 marked by lvsd on 192.0.2.10:{110, 995}; reals without a port keep the client's.
  auto marked = tcp_service("192.0.2.10", 0, ForwardMethod::masq, {{ip("203.0.113.21"), 0}});
  marked.fwmark = 10;
  marked.mark_ports = {110, 995};
  c.virtual_services.push_back(marked);
  // fwmark 7 the operator marks: its address means nothing, nothing to cover.
  auto plain_mark = tcp_service("192.0.2.10", 0, ForwardMethod::masq, {{ip("203.0.113.22"), 0}});
  plain_mark.fwmark = 7;
  c.virtual_services.push_back(plain_mark);
  const auto r = lvs::ha::grace_rules(c);
  using E = lvs::ha::GraceEndpoint;
  CHECK(r.services == std::vector<E>{{ip("192.0.2.10"), 25}, {ip("192.0.2.10"), 110}, {ip("192.0.2.10"), 143},
                                     {ip("192.0.2.10"), 995}});
  CHECK(r.nat_reals == std::vector<E>{{ip("203.0.113.11"), 25}, {ip("203.0.113.11"), 143}, {ip("203.0.113.12"), 2525},
                                      {ip("203.0.113.21"), 110}, {ip("203.0.113.21"), 995}});
  CHECK(lvs::ha::grace_script(r).find("ip daddr 192.0.2.10 tcp dport 995 tcp flags & syn == 0 drop") !=
        std::string::npos);
}

TEST_CASE("takeover grace: armed at start while holding no VIP, so in place when the VIPs come; removed at its end") {
  Rig rig;
  auto part = make(rig);
  TimePoint now{};
  REQUIRE(part->start(now).ok());
  // Put in over a crashed lvsd's leftover, while no VIP is held: the first retransmission
  // can follow the takeover's announcement within milliseconds.
  CHECK(rig.grace.calls == std::vector<std::string>{"remove", "install"});
  CHECK(rig.grace.vips_at_install == 0);
  CHECK(rig.grace.installed == lvs::ha::grace_rules(cluster()));
  CHECK(rig.log.has("takeover grace: armed for the next takeover (2 services, 3 NAT reals)"));
  CHECK_FALSE(part->grace_active());
  run_until_master(*part, now);
  CHECK(rig.grace.calls.size() == 2);  // already in: nothing to do in the takeover itself
  CHECK(part->grace_active());
  CHECK(rig.log.has("takeover grace: dropping what IPVS does not take for 4000 ms"));
  CHECK(part->next_deadline().has_value());
  run(*part, now, 3990ms);
  CHECK(rig.grace.calls.size() == 2);
  run(*part, now, 20ms);
  CHECK(rig.grace.calls == std::vector<std::string>{"remove", "install", "remove"});
  CHECK_FALSE(part->grace_active());
  CHECK(part->state() == State::master);
  part->shutdown();  // and at exit, whatever the state
  CHECK(rig.grace.calls.back() == "remove");
}

TEST_CASE("takeover grace: leaving master arms it again, a reload re-arms it with the new services, exit removes it") {
  Rig rig;
  auto part = make(rig);
  TimePoint now{};
  REQUIRE(part->start(now).ok());
  run_until_master(*part, now);
  REQUIRE(part->hand_over(now, true).ok());
  CHECK(part->state() == State::backup);
  CHECK(rig.grace.calls == std::vector<std::string>{"remove", "install", "install"});
  CHECK_FALSE(part->grace_active());
  auto grown = cluster();
  using lvs::model::ForwardMethod;
  grown.virtual_services.push_back(tcp_service("192.0.2.10", 80, ForwardMethod::droute, {{ip("203.0.113.14"), 80}}));
  part->set_grace_rules(lvs::ha::grace_rules(grown));
  CHECK(rig.grace.calls.size() == 4);
  CHECK(rig.grace.installed == lvs::ha::grace_rules(grown));
  part->shutdown();
  CHECK(rig.grace.calls.size() == 5);
  CHECK(rig.grace.calls.back() == "remove");
}

TEST_CASE("takeover grace: 0 is off: nothing installed, a leftover still removed") {
  Rig rig;
  auto c = cluster();
  c.ha->sync->takeover_grace_ms = 0;
  auto part = make(rig, c);
  TimePoint now{};
  REQUIRE(part->start(now).ok());
  run(*part, now, 5s);
  REQUIRE(part->state() == State::master);
  CHECK(rig.grace.calls == std::vector<std::string>{"remove"});
  CHECK_FALSE(part->grace_active());
}

TEST_CASE("takeover grace: an nft failure is logged with what it was about and the takeover goes on") {
  Rig rig;
  rig.grace.fail = true;
  auto part = make(rig);
  TimePoint now{};
  REQUIRE(part->start(now).ok());
  CHECK(rig.log.has("takeover grace: cannot remove rules left by an earlier lvsd"));
  CHECK(rig.log.has("takeover grace: cannot put in the drop rules for 2 services, 3 NAT reals"));
  run_until_master(*part, now);  // tried again on the takeover, after the VIPs
  CHECK(rig.addresses.configured.size() == 1);
  CHECK(rig.log.has("takeover grace: cannot install the drop rules for 2 services, 3 NAT reals"));
  CHECK(rig.log.has("Operation not permitted"));
  run(*part, now, 4100ms);
  CHECK(rig.log.has("takeover grace: cannot remove the drop rules (the takeover grace is over)"));
  CHECK(part->state() == State::master);
}
