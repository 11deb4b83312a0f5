// lvsd with its HA part wired in: the daemon's start, loop, commands, status, reload
// and shutdown, with FakeIpvs, fake addresses and a packet sink (no peer answers).
#include <catch2/catch.hpp>

#include "../daemon/harness.h"
#include "control/events.h"
#include "daemon/control_protocol.h"

using namespace std::chrono_literals;
using lvs::control::Command;
using lvsd::test::Harness;

namespace {

class SinkIo final : public lvs::ha::PacketIo {
 public:
  lvs::Status send(std::span<const std::uint8_t>, const lvs::net::IpAddress&) override { return lvs::ok(); }
  lvs::Result<std::optional<lvs::ha::Datagram>> receive() override { return std::optional<lvs::ha::Datagram>{}; }
};

struct Quiet final : lvs::ha::Announcer {
  lvs::Status announce(const lvs::ha::VipAddress&) override { return lvs::ok(); }
};

std::string ha_descriptor(const std::string& vip = "192.0.2.10/24") {
  auto d = lvsd::test::descriptor();
  const std::string nodes = R"("nodes": [{ "name": "lb1", "address": "198.51.100.11", "priority": 100 }],)";
  const std::string pair = R"("nodes": [{ "name": "lb1", "address": "198.51.100.11", "priority": 200 },
            { "name": "lb2", "address": "198.51.100.12", "priority": 100 }],
  "ha": { "virtual_router_id": 51, "interface": "eth1",
          "vips": [{ "address": ")" + vip + R"(", "interface": "eth0" }] },)";
  d.replace(d.find(nodes), nodes.size(), pair);
  return d;
}

struct HaRig {
  Harness h;
  lvs::ha::FakeAddresses addresses;
  Quiet announcer;
  std::map<std::string, bool> links{{"eth0", true}, {"eth1", true}};

  explicit HaRig(const std::string& descriptor = ha_descriptor()) {
    lvsd::test::write_file(h.config, descriptor);
    h.make_ha = [this](const lvs::model::Cluster& c) {
      lvsd::HaPartDeps deps{h.ipvs,
                            addresses,
                            announcer,
                            [](const lvs::ha::SocketConfig&) -> lvs::Result<std::unique_ptr<lvs::ha::PacketIo>> {
                              return std::unique_ptr<lvs::ha::PacketIo>(new SinkIo);
                            },
                            [this](const std::string& i) { return links[i]; },
                            [](const std::vector<std::string>&) { return lvs::ok(); },
                            h.log,
                            [](const std::string&) -> lvs::Result<std::string> { return std::string(64, 'a'); },
                            h.dir.file("state/ha.json"),
                            {*lvs::net::IpAddress::parse("198.51.100.11")}};
      return lvsd::HaPart::create(c, "", std::move(deps));
    };
  }
  nlohmann::json ha_request(Command c) {
    lvs::control::Request r;
    r.command = c;
    return h.request(r);
  }
};

}  // namespace

TEST_CASE("daemon ha: lvsd starts as standby, becomes master alone, and says so in status") {
  HaRig rig;
  REQUIRE_FALSE(rig.h.start());
  auto st = rig.h.daemon->status();
  REQUIRE(st.ha);
  CHECK(st.ha->node == "lb1");
  CHECK(st.ha->state == "backup");
  CHECK(rig.addresses.configured.empty());
  rig.h.run_for(4s);
  st = rig.h.daemon->status();
  CHECK(st.ha->state == "master");
  CHECK(st.ha->vips == std::vector<std::string>{"192.0.2.10/24 on eth0"});
  CHECK(rig.addresses.configured.size() == 1);
  CHECK(rig.h.daemon->status_line().find("; ha master") != std::string::npos);
  // The table is programmed whatever the HA state: a standby is warm.
  CHECK(rig.h.has_real(lvsd::test::kVip, lvsd::test::kA));
}

TEST_CASE("daemon ha: ha-failover with no standby heard is refused and changes nothing") {
  HaRig rig;
  REQUIRE_FALSE(rig.h.start());
  rig.h.run_for(4s);
  REQUIRE(rig.h.daemon->status().ha->state == "master");
  auto reply = rig.ha_request(Command::ha_failover);
  CHECK(reply["ok"] == false);
  CHECK(reply["error"].get<std::string>().rfind("no hand-over: with authentication none a standby sends nothing", 0) == 0);
  auto st = rig.h.daemon->status();
  CHECK(st.ha->state == "master");
  CHECK_FALSE(st.ha->held);
  CHECK(rig.addresses.configured.size() == 1);
  CHECK(rig.h.log.contains("ha: no hand-over: "));
}

TEST_CASE("daemon ha: ha-failover --force hands over and holds, ha-resume lets go; ha-status reports") {
  HaRig rig;
  REQUIRE_FALSE(rig.h.start());
  rig.h.run_for(4s);
  auto forced = lvs::control::parse_request(R"({"command":"ha-failover","force":true})");
  REQUIRE(forced.ok());
  auto reply = rig.h.request(*forced);
  CHECK(reply["ok"] == true);
  CHECK(reply["ha"]["state"] == "backup");
  CHECK(reply["ha"]["held"] == true);
  CHECK(rig.addresses.configured.empty());
  // No peer answers here: the held standby still takes over when nobody is master.
  rig.h.run_for(5s);
  CHECK(rig.ha_request(Command::ha_status)["ha"]["state"] == "master");
  reply = rig.ha_request(Command::ha_resume);
  CHECK(reply["ha"]["held"] == false);
  auto decoded = lvs::control::decode_ha(rig.ha_request(Command::ha_status));
  REQUIRE(decoded.ok());
  REQUIRE(decoded->value);
  CHECK(decoded->value->state == "master");
}

TEST_CASE("daemon ha: without an ha section the ha commands are refused with the reason") {
  Harness h;
  h.make_ha = [](const lvs::model::Cluster&) -> lvs::Result<std::unique_ptr<lvsd::HaPart>> {
    return std::unique_ptr<lvsd::HaPart>{};
  };
  REQUIRE_FALSE(h.start());
  lvs::control::Request r;
  r.command = Command::ha_failover;
  auto reply = h.request(r);
  CHECK(reply["ok"] == false);
  CHECK(reply["error"] == "this lvsd runs no HA (the descriptor has no ha section)");
  CHECK_FALSE(h.daemon->status().ha);
}

// The pair's descriptor with `ha` fields replaced: {"field": "json value"}.
std::string ha_with(std::initializer_list<std::pair<std::string, std::string>> fields,
                    const std::string& vips = R"([{ "address": "192.0.2.10/24", "interface": "eth0" }])",
                    int priority = 200) {
  auto d = ha_descriptor();
  const std::string vip = R"("vips": [{ "address": "192.0.2.10/24", "interface": "eth0" }])";
  d.replace(d.find(vip), vip.size(), "\"vips\": " + vips);
  const std::string prio = R"("priority": 200)";
  d.replace(d.find(prio), prio.size(), "\"priority\": " + std::to_string(priority));
  std::string extra;
  for (const auto& [k, v] : fields) extra += ", \"" + k + "\": " + v;
  const std::string head = R"("ha": { "virtual_router_id": 51, "interface": "eth1")";
  d.replace(d.find(head), head.size(), head + extra);
  return d;
}

TEST_CASE("daemon ha: a reload adds and removes VIPs on a running master without a state change") {
  HaRig rig;
  REQUIRE_FALSE(rig.h.start());
  rig.h.run_for(4s);
  REQUIRE(rig.h.daemon->status().ha->state == "master");
  const auto sent = rig.h.daemon->status().ha->adverts_sent;
  lvsd::test::write_file(rig.h.config, ha_with({}, R"([{ "address": "192.0.2.10/24", "interface": "eth0" },
                                                       { "address": "192.0.2.20/24", "interface": "eth0" }])"));
  auto out = rig.h.daemon->reload();
  REQUIRE(out.ok);
  auto st = rig.h.daemon->status();
  CHECK(st.ha->state == "master");
  CHECK(st.ha->vips == std::vector<std::string>{"192.0.2.10/24 on eth0", "192.0.2.20/24 on eth0"});
  CHECK(rig.addresses.configured.size() == 2);
  CHECK(rig.h.log.contains("ha: reloaded (priority 200, adverts every 1000 ms, VIPs added: 192.0.2.20/24 on eth0)"));
  rig.h.run_for(3s);
  CHECK(rig.h.daemon->status().ha->adverts_sent > sent);  // still advertising: no hand-over
  // And away again: only the new one goes.
  lvsd::test::write_file(rig.h.config, ha_with({}, R"([{ "address": "192.0.2.20/24", "interface": "eth0" }])"));
  REQUIRE(rig.h.daemon->reload().ok);
  st = rig.h.daemon->status();
  CHECK(st.ha->state == "master");
  CHECK(st.ha->vips == std::vector<std::string>{"192.0.2.20/24 on eth0"});
  REQUIRE(rig.addresses.configured.size() == 1);
  CHECK(rig.addresses.configured.front().address.to_string() == "192.0.2.20/24");
}

TEST_CASE("daemon ha: a reload changes priority, advert interval and preempt live") {
  HaRig rig;
  REQUIRE_FALSE(rig.h.start());
  rig.h.run_for(4s);
  lvsd::test::write_file(rig.h.config, ha_with({{"advert_interval_ms", "100"}, {"preempt", "false"}}, 
                                               R"([{ "address": "192.0.2.10/24", "interface": "eth0" }])", 150));
  REQUIRE(rig.h.daemon->reload().ok);
  auto st = rig.h.daemon->status();
  CHECK(st.ha->state == "master");
  CHECK(st.ha->priority == 150);
  CHECK(rig.h.daemon->ha()->settings().ha.preempt == false);
  // Adverts now every 100 ms: about 10 a second.
  const auto sent = st.ha->adverts_sent;
  rig.h.run_for(1s);
  CHECK(rig.h.daemon->status().ha->adverts_sent >= sent + 9);
}

TEST_CASE("daemon ha: a reload that changes what cannot change live is refused, naming the field") {
  HaRig rig;
  REQUIRE_FALSE(rig.h.start());
  rig.h.run_for(4s);
  auto refused = [&](const std::string& descriptor, const std::string& field) {
    lvsd::test::write_file(rig.h.config, descriptor);
    auto out = rig.h.daemon->reload();
    CHECK_FALSE(out.ok);
    REQUIRE_FALSE(out.errors.empty());
    CHECK(out.errors.back().rfind("ha: " + field + " cannot change while lvsd runs: restart lvsd", 0) == 0);
  };
  auto d = ha_descriptor();
  refused(std::string(d).replace(d.find("\"virtual_router_id\": 51"), 23, "\"virtual_router_id\": 52"),
          "ha.virtual_router_id");
  refused(std::string(d).replace(d.find("\"interface\": \"eth1\""), 19, "\"interface\": \"eth2\""), "ha.interface");
  refused(std::string(d).replace(d.find("198.51.100.12"), 13, "198.51.100.13"), "nodes (names and addresses)");
  // The old configuration runs on, VIPs and all.
  CHECK(rig.h.daemon->status().ha->vips == std::vector<std::string>{"192.0.2.10/24 on eth0"});
  CHECK(rig.h.daemon->status().ha->state == "master");
  lvsd::test::write_file(rig.h.config, ha_descriptor());
  CHECK(rig.h.daemon->reload().ok);
}

TEST_CASE("daemon ha: shutdown removes the VIPs") {
  HaRig rig;
  REQUIRE_FALSE(rig.h.start());
  rig.h.run_for(4s);
  REQUIRE_FALSE(rig.addresses.configured.empty());
  rig.h.daemon->shutdown();
  CHECK(rig.addresses.configured.empty());
}

TEST_CASE("daemon ha: a table that cannot be programmed at all is Fault; programmed again, Backup") {
  HaRig rig;
  REQUIRE_FALSE(rig.h.start());
  rig.h.run_for(4s);
  REQUIRE(rig.h.daemon->status().ha->state == "master");
  // A real goes down; the weight change cannot be written.
  rig.h.ipvs.fail_next_write(ENOMEM);
  rig.h.set_up(lvsd::test::kA, false);
  rig.h.run_for(3s);
  auto st = rig.h.daemon->status();
  CHECK(st.ha->state == "fault");
  CHECK(st.ha->fault.find("the IPVS table cannot be programmed") != std::string::npos);
  CHECK(rig.addresses.configured.empty());
  rig.h.run_for(10s);  // the retry succeeds
  CHECK(rig.h.daemon->status().ha->state != "fault");
}

TEST_CASE("daemon ha: a node choice that matches no local address stops the start") {
  HaRig rig;
  auto make = rig.h.make_ha;
  rig.h.make_ha = [&](const lvs::model::Cluster& c) -> lvs::Result<std::unique_ptr<lvsd::HaPart>> {
    auto c2 = c;
    for (auto& n : c2.nodes) n.address = *lvs::net::IpAddress::parse("203.0.113.200");
    return make(c2);
  };
  auto failed = rig.h.start();
  REQUIRE(failed);
  CHECK(*failed == lvsd::StartFailure::environment);
  CHECK(rig.h.log.contains("ha: none of the nodes' addresses is local"));
}

TEST_CASE("control: ha-status is a read command, failover and resume need admin") {
  CHECK(lvsd::allowed(Command::ha_status, lvsd::Access::read));
  CHECK_FALSE(lvsd::allowed(Command::ha_failover, lvsd::Access::read));
  CHECK_FALSE(lvsd::allowed(Command::ha_resume, lvsd::Access::read));
  CHECK(lvsd::allowed(Command::ha_failover, lvsd::Access::admin));
  auto parsed = lvs::control::parse_request(R"({"command":"ha-failover"})");
  REQUIRE(parsed.ok());
  CHECK(parsed->command == Command::ha_failover);
  CHECK_FALSE(lvs::control::parse_request(R"({"command":"ha-failover","real":"x"})").ok());
}

TEST_CASE("control: the ha report survives JSON both ways") {
  lvs::control::HaReport r;
  r.node = "lb1";
  r.state = "backup";
  r.priority = 200;
  r.held = true;
  r.peer = lvs::control::HaPeer{"198.51.100.12", 100, 1000, 0.25};
  r.master_down_in_s = 2.5;
  r.vips = {"192.0.2.10/24 on eth0"};
  r.sync = {"master on eth1 id 51"};
  r.dropped = {{"bad_ttl", 3}};
  r.adverts_sent = 10;
  nlohmann::json j = r;
  auto back = lvs::control::ha_from_json(j);
  REQUIRE(back.ok());
  CHECK(*back == r);
  j.erase("adverts");
  CHECK_FALSE(lvs::control::ha_from_json(j).ok());
}

TEST_CASE("daemon: out of descriptors, reals keep their weight and the log says so once per episode") {
  Harness h;
  REQUIRE_FALSE(h.start());
  h.run_for(3s);
  REQUIRE(h.weight(lvsd::test::kVip, lvsd::test::kA) == 1u);
  h.out_of_fds = true;
  h.run_for(10s);
  CHECK(h.weight(lvsd::test::kVip, lvsd::test::kA) == 1u);
  CHECK(h.weight(lvsd::test::kVip, lvsd::test::kB) == 1u);
  std::size_t warned = 0;
  for (const auto& l : h.log.lines) warned += l.find("health: checks put off, this host is short of resources") != std::string::npos;
  CHECK(warned == 1);
  h.out_of_fds = false;
  h.run_for(40s);
  CHECK(h.log.contains("health: checks run again after a resource shortage"));
  CHECK(h.weight(lvsd::test::kVip, lvsd::test::kA) == 1u);
}

TEST_CASE("daemon ha: metrics show the VRRP state, adverts sent, drop reasons and the backup -> master transition") {
  HaRig rig;
  REQUIRE_FALSE(rig.h.start());
  std::string m = rig.h.daemon->metrics_text();
  CHECK(m.find("\nlvsd_ha_state{state=\"backup\"} 1\n") != std::string::npos);
  CHECK(m.find("\nlvsd_ha_state{state=\"master\"} 0\n") != std::string::npos);
  rig.h.run_for(4s);
  m = rig.h.daemon->metrics_text();
  CHECK(m.find("\nlvsd_ha_state{state=\"master\"} 1\n") != std::string::npos);
  CHECK(m.find("\nlvsd_ha_state{state=\"backup\"} 0\n") != std::string::npos);
  CHECK(m.find("\nlvsd_ha_transitions_total{from=\"backup\",to=\"master\"} 1\n") != std::string::npos);
  CHECK(m.find("\nlvsd_ha_vips 1\n") != std::string::npos);
  CHECK(m.find("\nlvsd_ha_priority 200\n") != std::string::npos);
  CHECK(m.find("\nlvsd_ha_adverts_received_total 0\n") != std::string::npos);
  CHECK(m.find("\nlvsd_ha_adverts_dropped_total{reason=\"bad_ttl\"} 0\n") != std::string::npos);
  const auto sent = rig.h.daemon->ha()->node_status().counters.sent;
  CHECK(sent >= 1);
  CHECK(m.find("\nlvsd_ha_adverts_sent_total " + std::to_string(sent) + "\n") != std::string::npos);
}

TEST_CASE("daemon ha: every state change is published as an event, and so are drains") {
  HaRig rig;
  REQUIRE_FALSE(rig.h.start());
  rig.h.run_for(4s);
  std::vector<nlohmann::json> ha;
  for (const auto& e : rig.h.events)
    if (e["event"] == "ha") ha.push_back(e);
  REQUIRE(ha.size() == 2);
  CHECK(ha[0]["from"] == "initialize");
  CHECK(ha[0]["to"] == "backup");
  CHECK(ha[1] == nlohmann::json{{"event", "ha"}, {"at", rig.h.wall}, {"node", "lb1"}, {"from", "backup"},
                                {"to", "master"}, {"why", "no advert from the master for the master-down interval"},
                                {"vips", 1}, {"adverts_received", 0}, {"adverts_dropped", 0}});
  CHECK(ha[0]["vips"] == 0);
  lvs::control::Request drain;
  drain.command = Command::drain;
  drain.real = lvsd::test::kA;
  REQUIRE(rig.h.request(drain)["ok"] == true);
  CHECK(rig.h.events.back()["event"] == "admin");
  CHECK(rig.h.events.back()["admin"] == "draining");
  CHECK(lvs::control::event_text(ha[1]).find(" ha: lb1 backup -> master (no advert") != std::string::npos);
}
