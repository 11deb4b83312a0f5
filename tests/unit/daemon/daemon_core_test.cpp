// The daemon core over FakeIpvs: start, restart without writes, health effects, quorum.
#include <catch2/catch.hpp>

#include "harness.h"

using namespace std::chrono_literals;
using lvsd::test::Harness;
using lvsd::test::kA;
using lvsd::test::kB;
using lvsd::test::kVip;
using lvsd::test::descriptor;
using lvsd::test::write_file;

TEST_CASE("start: an empty table gets the service, reals at weight 0 until their first check passes") {
  Harness h;
  REQUIRE_FALSE(h.start());
  CHECK(h.weight(kVip, kA) == 0u);
  CHECK(h.weight(kVip, kB) == 0u);
  h.run_for(1500ms);
  CHECK(h.weight(kVip, kA) == 1u);
  CHECK(h.weight(kVip, kB) == 1u);
  CHECK(h.log.contains("health: tcp 203.0.113.81:25 up"));
  CHECK(h.log.contains("(smtp)"));  // the line names the services that use the check
}

TEST_CASE("start: an invalid descriptor stops the start with exit status 1 and logs the errors") {
  Harness h;
  write_file(h.config, R"({"cluster": "t", "services": [{"name": "x", "port": 70000}]})");
  auto failed = h.start();
  REQUIRE(failed);
  CHECK(*failed == lvsd::StartFailure::invalid_descriptor);
  CHECK_FALSE(h.log.lines.empty());
  CHECK(h.ipvs.writes() == 0);
  CHECK_FALSE(h.daemon->descriptor().errors.empty());
}

TEST_CASE("restart: an unchanged descriptor with healthy reals makes zero writes, before and after the first checks") {
  Harness h;
  REQUIRE_FALSE(h.start());
  h.run_for(3000ms);
  REQUIRE(h.weight(kVip, kA) == 1u);
  h.stop();
  h.ipvs.reset_writes();
  h.sysctls.writes = 0;
  REQUIRE_FALSE(h.start());
  CHECK(h.ipvs.writes() == 0);
  h.run_for(5000ms);  // several rounds of checks, all passing
  CHECK(h.ipvs.writes() == 0);
  CHECK(h.sysctls.writes == 0);
  CHECK(h.weight(kVip, kA) == 1u);
}

TEST_CASE("restart: a real that serves starts up, so one failed check after a restart does not quiesce it") {
  Harness h;
  REQUIRE_FALSE(h.start());
  h.run_for(3000ms);
  h.stop();
  h.ipvs.reset_writes();
  h.set_up(kA, false);
  REQUIRE_FALSE(h.start());
  h.run_for(1000ms);  // one failure: fall is 2
  CHECK(h.weight(kVip, kA) == 1u);
  h.run_for(1000ms);  // the second failure brings it down
  CHECK(h.weight(kVip, kA) == 0u);
  CHECK(h.ipvs.writes() == 1);
}

TEST_CASE("restart: a quiesced real stays at weight 0 until it passes a check") {
  Harness h;
  h.set_up(kA, false);
  REQUIRE_FALSE(h.start());
  h.run_for(3000ms);
  REQUIRE(h.weight(kVip, kA) == 0u);
  h.stop();
  h.ipvs.reset_writes();
  REQUIRE_FALSE(h.start());
  CHECK(h.ipvs.writes() == 0);
  CHECK(h.weight(kVip, kA) == 0u);
  h.set_up(kA, true);
  h.run_for(1500ms);
  CHECK(h.weight(kVip, kA) == 1u);
}

TEST_CASE("health: a real that falls gets weight 0 (quiesce); when it rises its weight returns") {
  Harness h;
  REQUIRE_FALSE(h.start());
  h.run_for(2000ms);
  REQUIRE(h.weight(kVip, kA) == 1u);
  h.set_up(kA, false);
  h.run_for(2000ms);
  CHECK(h.weight(kVip, kA) == 0u);
  CHECK(h.weight(kVip, kB) == 1u);
  h.set_up(kA, true);
  h.run_for(1000ms);
  CHECK(h.weight(kVip, kA) == 0u);  // rise is 2
  h.run_for(1000ms);
  CHECK(h.weight(kVip, kA) == 1u);
}

TEST_CASE("health: with on_failure remove a fallen real leaves the table and comes back when it rises") {
  Harness h;
  write_file(h.config, descriptor(R"(, "on_failure": "remove")"));
  REQUIRE_FALSE(h.start());
  h.run_for(2000ms);
  REQUIRE(h.weight(kVip, kA) == 1u);
  h.set_up(kA, false);
  h.run_for(2000ms);
  CHECK_FALSE(h.has_real(kVip, kA));
  h.set_up(kA, true);
  h.run_for(2000ms);
  CHECK(h.weight(kVip, kA) == 1u);
}

TEST_CASE("health: fewer healthy reals than the quorum puts the sorry server in their place") {
  Harness h;
  write_file(h.config, descriptor(R"(, "quorum": 2, "sorry_server": "sorry")"));
  REQUIRE_FALSE(h.start());
  h.run_for(2000ms);
  REQUIRE(h.weight(kVip, kA) == 1u);
  CHECK_FALSE(h.has_real(kVip, "203.0.113.99:2525"));
  h.set_up(kB, false);
  h.run_for(2000ms);
  CHECK(h.weight(kVip, "203.0.113.99:2525") == 1u);
  CHECK_FALSE(h.has_real(kVip, kA));
  const nlohmann::json st = h.daemon->status();
  CHECK(st["services"][0]["sorry_active"] == true);
  h.set_up(kB, true);
  h.run_for(2000ms);
  CHECK_FALSE(h.has_real(kVip, "203.0.113.99:2525"));
  CHECK(h.weight(kVip, kB) == 1u);
}

TEST_CASE("health: identical checks of one real shared by several services run once") {
  Harness h;
  write_file(h.config, descriptor("", R"(,
    { "name": "smtp2", "address": "192.0.2.11", "port": 25, "scheduler": "rr", "pool": "mail" })"));
  REQUIRE_FALSE(h.start());
  CHECK(h.daemon->check_count() == 2);
  h.run_for(3000ms);
  CHECK(h.weight("192.0.2.11:25", kA) == 1u);
  CHECK(h.probes_run[kA] >= 2);
  CHECK(h.probes_run[kA] <= 4);  // one per second, not two
}

TEST_CASE("sysctls: set from the descriptor's safe defaults and shown in status") {
  Harness h;
  REQUIRE_FALSE(h.start());
  CHECK(h.sysctls.values["expire_quiescent_template"] == "1");
  CHECK(h.sysctls.values["expire_nodest_conn"] == "1");
  CHECK(h.sysctls.values["conn_reuse_mode"] == "1");
  CHECK(h.sysctls.writes == 2);  // conn_reuse_mode already had its value
  const nlohmann::json st = h.daemon->status();
  REQUIRE(st["sysctls"].size() == 3);
  CHECK(st["sysctls"][0]["name"] == "expire_quiescent_template");
  CHECK(st["sysctls"][0]["current"] == 1);
}

TEST_CASE("status: every real with health, last result, weights, admin state and counts") {
  Harness h;
  REQUIRE_FALSE(h.start());
  h.run_for(1500ms);
  const nlohmann::json st = h.daemon->status();
  CHECK(st["descriptor"]["status"] == "ok");
  REQUIRE(st["services"].size() == 1);
  const auto& real = st["services"][0]["reals"][0];
  CHECK(real["real"] == kA);
  CHECK(real["health"] == "up");
  CHECK(real["last_result"]["ok"] == true);
  CHECK(real["last_result"]["latency_ms"] == 1.5);
  CHECK(real["configured_weight"] == 1);
  CHECK(real["current_weight"] == 1);
  CHECK(real["admin"] == "enabled");
  CHECK(real["active_conns"] == 0);
  CHECK(h.daemon->status_line().find("2 reals up") != std::string::npos);
}

TEST_CASE("check: runs the probe now and returns its transcript, once per distinct check") {
  Harness h;
  REQUIRE_FALSE(h.start());
  lvsd::Request r;
  r.command = lvsd::Command::check;
  r.real = "203.0.113.81";
  auto reply = h.request(r);
  REQUIRE(reply["ok"] == true);
  REQUIRE(reply["checks"].size() == 1);
  CHECK(reply["checks"][0]["ok"] == true);
  CHECK(reply["checks"][0]["transcript"].get<std::string>().find("connect 203.0.113.81:25") != std::string::npos);
  r.real = "203.0.113.200";
  auto missing = h.request(r);
  CHECK(missing["ok"] == false);
  CHECK(missing["error"].get<std::string>().find("no real") != std::string::npos);
}

TEST_CASE("start: a second daemon on the same IPVS table and state dir refuses to start (exit status 2)") {
  Harness h;
  REQUIRE_FALSE(h.start());
  auto first = std::move(h.daemon);
  auto failed = h.start();
  REQUIRE(failed);
  CHECK(*failed == lvsd::StartFailure::environment);
  CHECK(h.log.contains("another lvsd or lvsctl apply is writing this IPVS table"));
  h.daemon = std::move(first);
}

TEST_CASE("status: the report lvsd sends reads back unchanged through lib/control's mapping") {
  Harness h;
  REQUIRE_FALSE(h.start());
  h.run_for(2000ms);
  const auto report = h.daemon->status();
  REQUIRE(report.services.size() == 1);
  auto back = lvs::control::status_from_json(nlohmann::json(report));
  REQUIRE(back);
  CHECK(*back == report);
}
