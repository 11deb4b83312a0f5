// Reload: a bad descriptor keeps the running one; a good one reconciles and keeps health.
#include <catch2/catch.hpp>

#include <cerrno>

#include "harness.h"

using namespace std::chrono_literals;
using lvsd::test::Harness;
using lvsd::test::kA;
using lvsd::test::kVip;
using lvsd::test::descriptor;
using lvsd::test::write_file;

TEST_CASE("reload: an invalid descriptor keeps the running configuration unchanged and reports the errors") {
  Harness h;
  REQUIRE_FALSE(h.start());
  h.run_for(2000ms);
  auto before = h.ipvs.read_table();
  REQUIRE(before);
  h.ipvs.reset_writes();
  write_file(h.config, R"({"cluster": "t", "services": [{"name": "smtp", "address": "192.0.2.10", "port": 70000}]})");
  auto reply = h.daemon->reload();
  CHECK_FALSE(reply.ok);
  REQUIRE_FALSE(reply.errors.empty());
  CHECK(h.ipvs.writes() == 0);
  const nlohmann::json st = h.daemon->status();
  CHECK(st["descriptor"]["status"] == "error");
  CHECK_FALSE(st["descriptor"]["errors"].empty());
  CHECK(st["services"].size() == 1);
  h.set_up(kA, false);  // the old configuration still runs its checks
  h.run_for(2000ms);
  CHECK(h.weight(kVip, kA) == 0u);
}

TEST_CASE("reload: a valid descriptor is reconciled and reals that stay keep their health") {
  Harness h;
  REQUIRE_FALSE(h.start());
  h.run_for(2000ms);
  REQUIRE(h.weight(kVip, kA) == 1u);
  h.ipvs.reset_writes();
  write_file(h.config, descriptor("", R"(,
    { "name": "smtp2", "address": "192.0.2.11", "port": 25, "scheduler": "rr", "pool": "mail" })"));
  auto reply = h.daemon->reload();
  REQUIRE(reply.ok);
  // The new service's reals share the running checks: they are up at once.
  CHECK(h.weight("192.0.2.11:25", kA) == 1u);
  CHECK(h.weight(kVip, kA) == 1u);
  CHECK(h.ipvs.writes() == 3);  // one service and its two reals
  CHECK(h.daemon->descriptor().ok);
}

TEST_CASE("reload: a service removed from the descriptor is deleted, drains of its reals are forgotten") {
  Harness h;
  write_file(h.config, descriptor("", R"(,
    { "name": "smtp2", "address": "192.0.2.11", "port": 25, "scheduler": "rr", "pool": "mail" })"));
  REQUIRE_FALSE(h.start());
  h.run_for(2000ms);
  lvsd::Request r;
  r.command = lvsd::Command::drain;
  r.real = "203.0.113.81";
  r.service = "smtp2";
  REQUIRE(h.request(r)["ok"] == true);
  write_file(h.config, descriptor());
  REQUIRE(h.daemon->reload().ok);
  CHECK_FALSE(h.has_real("192.0.2.11:25", kA));
  CHECK(h.daemon->admin().drains.empty());
}

TEST_CASE("reload: after a failed reload a fixed descriptor loads and clears the errors") {
  Harness h;
  REQUIRE_FALSE(h.start());
  write_file(h.config, "{ not json");
  REQUIRE_FALSE(h.daemon->reload().ok);
  write_file(h.config, descriptor());
  REQUIRE(h.daemon->reload().ok);
  CHECK(nlohmann::json(h.daemon->status())["descriptor"]["errors"].empty());
}

TEST_CASE("reload: a table that cannot be read is reported, and the running descriptor stays") {
  Harness h;
  REQUIRE_FALSE(h.start());
  h.run_for(2000ms);
  write_file(h.config, descriptor("", R"(,
    { "name": "smtp2", "address": "192.0.2.11", "port": 25, "scheduler": "rr", "pool": "mail" })"));
  h.ipvs.fail_next_read(EIO);
  auto reply = h.daemon->reload();
  CHECK_FALSE(reply.ok);
  CHECK(reply.error.find("cannot read the IPVS table") != std::string::npos);
  CHECK(h.log.contains("cannot read the IPVS table"));
  REQUIRE(h.daemon->cluster());
  CHECK(h.daemon->cluster()->virtual_services.size() == 1);  // still the one loaded before
  CHECK_FALSE(h.daemon->descriptor().ok);
  h.run_for(2000ms);
  CHECK_FALSE(h.has_real("192.0.2.11:25", kA));
  CHECK(h.daemon->reload().ok);  // the next reload, with the table readable
  CHECK(h.has_real("192.0.2.11:25", kA));
}
