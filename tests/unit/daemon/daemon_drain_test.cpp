// Drain and enable: weight 0, connection counts, deadline, persistence across restarts.
#include <catch2/catch.hpp>

#include <cstdio>

#include "daemon/admin_state.h"
#include "harness.h"

using namespace std::chrono_literals;
using lvsd::test::Harness;
using lvsd::test::kA;
using lvsd::test::kB;
using lvsd::test::kVip;

namespace {

lvsd::Request drain(const std::string& real, std::uint32_t deadline_s = 0) {
  lvsd::Request r;
  r.command = lvsd::Command::drain;
  r.real = real;
  r.deadline_s = deadline_s;
  return r;
}

lvsd::Request enable(const std::string& real) {
  lvsd::Request r;
  r.command = lvsd::Command::enable;
  r.real = real;
  return r;
}

lvs::ipvs::ServiceKey vip() {
  lvs::ipvs::ServiceKey k;
  k.address = *lvs::net::IpAddress::parse("192.0.2.10");
  k.port = 25;
  return k;
}

lvs::ipvs::DestKey real_a() { return {*lvs::net::IpAddress::parse("203.0.113.81"), 25}; }

void set_conns(Harness& h, std::uint32_t active, std::uint32_t inactive, std::uint32_t persistent) {
  REQUIRE(h.ipvs.set_counters(vip(), real_a(), {}, active, inactive, persistent));
}

std::string admin_of(Harness& h) {
  return nlohmann::json(h.daemon->status())["services"][0]["reals"][0]["admin"].get<std::string>();
}

Harness& healthy(Harness& h) {
  REQUIRE_FALSE(h.start());
  h.run_for(2000ms);
  REQUIRE(h.weight(kVip, kA) == 1u);
  return h;
}

}  // namespace

TEST_CASE("drain: weight 0 at once, draining while connections remain, drained when the counts reach 0") {
  Harness h;
  healthy(h);
  set_conns(h, 2, 1, 1);
  auto reply = h.request(drain("203.0.113.81"));
  REQUIRE(reply["ok"] == true);
  CHECK(reply["reals"][0]["real"] == kA);
  CHECK(reply["reals"][0]["admin"] == "draining");
  CHECK(h.weight(kVip, kA) == 0u);
  h.run_for(5000ms);
  CHECK(admin_of(h) == "draining");
  set_conns(h, 0, 0, 1);  // a persistence template still points at it
  h.run_for(3000ms);
  CHECK(admin_of(h) == "draining");
  set_conns(h, 0, 0, 0);
  h.run_for(3000ms);
  CHECK(admin_of(h) == "drained");
  CHECK(h.log.contains("drained: no connections left"));
}

TEST_CASE("drain: a real with no connections is drained at once") {
  Harness h;
  healthy(h);
  auto reply = h.request(drain(kA));
  CHECK(reply["reals"][0]["admin"] == "drained");
}

TEST_CASE("drain: the deadline ends the wait with connections left, and says so") {
  Harness h;
  healthy(h);
  set_conns(h, 3, 0, 0);
  REQUIRE(h.request(drain(kA, 60))["ok"] == true);
  h.wall += 30;
  h.run_for(3000ms);
  CHECK(admin_of(h) == "draining");
  h.wall += 31;
  h.run_for(3000ms);
  CHECK(admin_of(h) == "drained");
  const nlohmann::json st = h.daemon->status();
  CHECK(st["services"][0]["reals"][0]["drain"]["note"] == "deadline passed with 3 connection(s) left");
}

TEST_CASE("drain: health checks go on while drained, and enable gives the weight back") {
  Harness h;
  healthy(h);
  REQUIRE(h.request(drain(kA))["ok"] == true);
  const int before = h.probes_run[kA];
  h.run_for(3000ms);
  CHECK(h.probes_run[kA] > before);
  CHECK(nlohmann::json(h.daemon->status())["services"][0]["reals"][0]["health"] == "up");
  CHECK(h.weight(kVip, kA) == 0u);
  auto reply = h.request(enable(kA));
  CHECK(reply["reals"][0]["admin"] == "enabled");
  CHECK(h.weight(kVip, kA) == 1u);
}

TEST_CASE("drain: enable of a real that is down keeps weight 0 until it is healthy") {
  Harness h;
  healthy(h);
  REQUIRE(h.request(drain(kA))["ok"] == true);
  h.set_up(kA, false);
  h.run_for(3000ms);
  REQUIRE(h.request(enable(kA))["ok"] == true);
  CHECK(h.weight(kVip, kA) == 0u);
}

TEST_CASE("drain: admin state is saved and survives a restart with zero writes") {
  Harness h;
  healthy(h);
  REQUIRE(h.request(drain(kA))["ok"] == true);
  auto saved = lvsd::load_admin_state(lvsd::admin_state_path(h.dir.file("state"), ""));
  REQUIRE(saved);
  REQUIRE(saved->drains.size() == 1);
  CHECK(saved->drains[0].service == "smtp");
  h.stop();
  h.ipvs.reset_writes();
  REQUIRE_FALSE(h.start());
  CHECK(h.ipvs.writes() == 0);
  CHECK(admin_of(h) == "drained");
  h.run_for(3000ms);
  CHECK(h.weight(kVip, kA) == 0u);
  CHECK(h.ipvs.writes() == 0);
}

TEST_CASE("drain: one service only, named as written, leaves the real's other services alone") {
  Harness h;
  lvsd::test::write_file(h.config, lvsd::test::descriptor("", R"(,
    { "name": "pop", "address": "192.0.2.10", "port": 110, "scheduler": "rr", "pool": "mail" })"));
  REQUIRE_FALSE(h.start());
  h.run_for(2000ms);
  auto r = drain("203.0.113.81");
  r.service = "pop";
  auto reply = h.request(r);
  REQUIRE(reply["ok"] == true);
  CHECK(reply["reals"].size() == 1);
  CHECK(h.weight("192.0.2.10:110", "203.0.113.81:110") == 0u);
  CHECK(h.weight(kVip, kA) == 1u);
  r.service = "nosuch";
  auto bad = h.request(r);
  CHECK(bad["ok"] == false);
  CHECK(bad["error"] == "no service named \"nosuch\"");
}

TEST_CASE("status: counters are read when asked if older than a second; idle, the table is read rarely") {
  Harness h;
  healthy(h);
  set_conns(h, 4, 2, 0);
  lvsd::Request status;
  status.command = lvsd::Command::status;
  // Nothing drains: no periodic read within the idle interval...
  h.run_for(5000ms);
  CHECK(nlohmann::json(h.daemon->status())["services"][0]["reals"][0]["active_conns"] == 0);
  // ...but a status request reads the kernel's counters itself.
  auto reply = h.request(status);
  REQUIRE(reply["ok"] == true);
  CHECK(reply["status"]["services"][0]["reals"][0]["active_conns"] == 4);
  CHECK(reply["status"]["services"][0]["reals"][0]["inactive_conns"] == 2);
  // Within a second of that read, a second request is served from it.
  set_conns(h, 1, 0, 0);
  CHECK(h.request(status)["status"]["services"][0]["reals"][0]["active_conns"] == 4);
  h.run_for(1000ms);
  CHECK(h.request(status)["status"]["services"][0]["reals"][0]["active_conns"] == 1);
}

TEST_CASE("drain: when the admin state cannot be saved the reply is an error and nothing changes") {
  Harness h;
  healthy(h);
  // The state folder becomes a regular file: the admin file's folder is unusable.
  const std::string state = h.dir.file("state");
  REQUIRE(std::rename(state.c_str(), h.dir.file("state.moved").c_str()) == 0);
  lvsd::test::write_file(state, "not a folder\n");
  auto reply = h.request(drain("203.0.113.81"));
  CHECK(reply["ok"] == false);
  CHECK(reply["error"].get<std::string>().find("not saved") != std::string::npos);
  CHECK(h.daemon->admin().drains.empty());  // as on disk: a restart would not drain it either
  CHECK(h.weight(kVip, kA) == 1u);
  CHECK(admin_of(h) == "enabled");
  CHECK(h.log.contains("admin: drain refused"));

  REQUIRE(std::remove(state.c_str()) == 0);  // the folder is back: the drain goes through
  REQUIRE(std::rename(h.dir.file("state.moved").c_str(), state.c_str()) == 0);
  CHECK(h.request(drain("203.0.113.81"))["ok"] == true);
  CHECK(h.weight(kVip, kA) == 0u);
}

TEST_CASE("drain: a name selects that service and its ports (research/25, research/110), never research2 or research-x") {
  Harness h;
  lvsd::test::write_file(h.config, lvsd::test::descriptor("", R"(,
    { "name": "research2", "address": "192.0.2.21", "port": 25, "scheduler": "rr", "pool": "mail" },
    { "name": "research", "address": "192.0.2.20", "ports": [25, 110], "scheduler": "rr", "pool": "mail" },
    { "name": "research-x", "address": "192.0.2.22", "port": 25, "scheduler": "rr", "pool": "mail" })"));
  healthy(h);
  // Every real holds a connection, so a drained one stays draining.
  auto table = h.ipvs.read_table();
  REQUIRE(table);
  for (const auto& s : table->services)
    for (const auto& d : s.destinations) REQUIRE(h.ipvs.set_counters(s.service.key, lvs::ipvs::key_of(d.dest), {}, 1, 0, 0));
  auto r = drain("203.0.113.81");
  r.service = "research";
  auto reply = h.request(r);
  REQUIRE(reply["ok"] == true);
  REQUIRE(reply["reals"].size() == 2);
  CHECK(reply["reals"][0]["service"] == "research/25");  // in the descriptor's order
  CHECK(reply["reals"][1]["service"] == "research/110");
  CHECK(h.weight("192.0.2.20:25", "203.0.113.81:25") == 0u);
  CHECK(h.weight("192.0.2.20:110", "203.0.113.81:110") == 0u);
  CHECK(h.weight("192.0.2.21:25", "203.0.113.81:25") == 1u);
  CHECK(h.weight("192.0.2.22:25", "203.0.113.81:25") == 1u);
  CHECK(h.weight(kVip, kA) == 1u);
  CHECK(h.daemon->status_line().find("2 draining") != std::string::npos);

  r = drain("203.0.113.82");
  r.service = "research/110";  // one port by its full name
  reply = h.request(r);
  REQUIRE(reply["reals"].size() == 1);
  CHECK(h.weight("192.0.2.20:110", "203.0.113.82:110") == 0u);
  CHECK(h.weight("192.0.2.20:25", "203.0.113.82:25") == 1u);
  CHECK(h.daemon->status_line().find("3 draining") != std::string::npos);

  r = drain("203.0.113.82");  // every service of the real
  reply = h.request(r);
  CHECK(reply["reals"].size() == 5);
  CHECK(h.daemon->status_line().find("7 draining") != std::string::npos);

  r = enable("203.0.113.81");
  r.service = "research";
  REQUIRE(h.request(r)["ok"] == true);
  CHECK(h.weight("192.0.2.20:25", "203.0.113.81:25") == 1u);
  CHECK(h.daemon->status_line().find("5 draining") != std::string::npos);

  r.service = "research/";  // not a service name
  CHECK(h.request(r)["error"] == "no service named \"research/\"");
}

TEST_CASE("status line: reals up and down follow each health edge; drained reals are not draining") {
  Harness h;
  healthy(h);
  CHECK(h.daemon->status_line().find("2 reals up, 0 down") != std::string::npos);
  h.set_up(kB, false);
  h.run_for(2500ms);  // fall 2
  CHECK(h.daemon->status_line().find("1 reals up, 1 down") != std::string::npos);
  h.set_up(kB, true);
  h.run_for(2500ms);
  CHECK(h.daemon->status_line().find("2 reals up, 0 down") != std::string::npos);
  set_conns(h, 1, 0, 0);
  REQUIRE(h.request(drain(kA))["ok"] == true);
  CHECK(h.daemon->status_line().find("1 draining") != std::string::npos);
  set_conns(h, 0, 0, 0);
  h.run_for(2500ms);  // the counts read while draining
  CHECK(admin_of(h) == "drained");
  CHECK(h.daemon->status_line().find("draining") == std::string::npos);
}
