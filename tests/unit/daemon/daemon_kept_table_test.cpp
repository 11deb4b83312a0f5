// The kept table: a drain, an enable and a health edge write their one change and read
// nothing whole; a lost acknowledgement or a refused write still reads the table back;
// the periodic refresh is where drift elsewhere is found and put right. (Harness::weight
// reads the fake's table too, so reads are counted before it is called.)
#include <catch2/catch.hpp>
#include <cerrno>

#include "harness.h"

using namespace std::chrono_literals;
using lvsd::test::descriptor;
using lvsd::test::Harness;
using lvsd::test::kA;
using lvsd::test::kB;
using lvsd::test::kVip;
using lvs::testing::write_file;
namespace ipvs = lvs::ipvs;

namespace {

const char* kSecond = R"(,
    { "name": "smtp2", "address": "192.0.2.11", "port": 25, "scheduler": "rr", "pool": "mail" })";

lvsd::Request admin(lvsd::Command c, const std::string& service, const std::string& real) {
  lvsd::Request r;
  r.command = c;
  r.service = service;
  r.real = real;
  return r;
}

ipvs::ServiceKey key(const char* address) {
  ipvs::ServiceKey k;
  k.address = *lvs::net::IpAddress::parse(address);
  k.port = 25;
  return k;
}

ipvs::DestKey real(const char* address) { return {*lvs::net::IpAddress::parse(address), 25}; }

std::optional<std::uint32_t> kept_weight(const Harness& h, const char* vip, const char* address) {
  for (const auto& s : h.daemon->observed().services)
    if (ipvs::normalized(s.service.key) == ipvs::normalized(key(vip)))
      for (const auto& d : s.destinations)
        if (ipvs::key_of(d.dest) == real(address)) return d.dest.weight;
  return std::nullopt;
}

void started_healthy(Harness& h) {
  REQUIRE_FALSE(h.start());
  h.run_for(2000ms);
  REQUIRE(h.weight(kVip, kA) == 1u);
  h.ipvs.reset_writes();
  h.ipvs.reset_table_reads();
}

}  // namespace

TEST_CASE("kept table: a drain and an enable each make one write and no whole-table read") {
  Harness h;
  write_file(h.config, descriptor("", kSecond));
  started_healthy(h);

  auto reply = h.request(admin(lvsd::Command::drain, "smtp", kA));
  REQUIRE(reply["ok"] == true);
  CHECK(h.ipvs.writes() == 1);
  CHECK(h.ipvs.table_reads() == 0);
  CHECK(h.weight(kVip, kA) == 0u);
  CHECK(h.weight("192.0.2.11:25", kA) == 1u);  // the other service is not drained
  CHECK(kept_weight(h, "192.0.2.10", "203.0.113.81") == 0u);  // the kept table follows the write

  h.ipvs.reset_table_reads();  // weight() reads the fake's table
  reply = h.request(admin(lvsd::Command::enable, "smtp", kA));
  REQUIRE(reply["ok"] == true);
  CHECK(h.ipvs.writes() == 2);
  CHECK(h.ipvs.table_reads() == 0);
  CHECK(h.weight(kVip, kA) == 1u);
  CHECK(kept_weight(h, "192.0.2.10", "203.0.113.81") == 1u);
}

TEST_CASE("kept table: a health edge makes one write and no whole-table read") {
  Harness h;
  write_file(h.config, descriptor());
  started_healthy(h);
  h.set_up(kB, false);
  h.run_for(2500ms);  // fall 2
  CHECK(h.ipvs.writes() == 1);
  CHECK(h.ipvs.table_reads() == 0);
  CHECK(h.weight(kVip, kB) == 0u);
  CHECK(kept_weight(h, "192.0.2.10", "203.0.113.82") == 0u);
}

TEST_CASE("kept table: a lost acknowledgement reads the table back, which shows the write applied") {
  Harness h;
  write_file(h.config, descriptor());
  started_healthy(h);
  h.ipvs.lose_ack_of([](const ipvs::Operation& op) { return std::holds_alternative<ipvs::EditDest>(op); });
  auto reply = h.request(admin(lvsd::Command::drain, "smtp", kA));
  REQUIRE(reply["ok"] == true);
  CHECK(h.ipvs.table_reads() == 1);
  CHECK(h.weight(kVip, kA) == 0u);
  CHECK(h.daemon->last_reconcile().failed == 0);
  CHECK(kept_weight(h, "192.0.2.10", "203.0.113.81") == 0u);
}

TEST_CASE("kept table: a refused write reads the table back and is retried") {
  Harness h;
  write_file(h.config, descriptor());
  started_healthy(h);
  h.ipvs.fail_next_write(EIO);
  auto reply = h.request(admin(lvsd::Command::drain, "smtp", kA));
  REQUIRE(reply["ok"] == true);
  CHECK(h.ipvs.table_reads() == 1);
  CHECK(h.weight(kVip, kA) == 1u);  // refused: the kernel still serves it
  CHECK(kept_weight(h, "192.0.2.10", "203.0.113.81") == 1u);
  CHECK(h.daemon->last_reconcile().failed == 1);
  h.run_for(6000ms);  // the retry
  CHECK(h.weight(kVip, kA) == 0u);
  CHECK(kept_weight(h, "192.0.2.10", "203.0.113.81") == 0u);
}

TEST_CASE("kept table: a drain plans only its service; the periodic refresh puts drift elsewhere right") {
  Harness h;
  write_file(h.config, descriptor("", kSecond));
  started_healthy(h);
  // Someone changes the other service behind lvsd's back.
  ipvs::Destination d;
  d.address = real("203.0.113.82").address;
  d.port = 25;
  d.weight = 7;
  auto edit = h.ipvs.apply({ipvs::EditDest{key("192.0.2.11"), d}});
  REQUIRE(edit.errors.empty());
  REQUIRE(h.weight("192.0.2.11:25", kB) == 7u);
  h.ipvs.reset_writes();

  REQUIRE(h.request(admin(lvsd::Command::drain, "smtp", kA))["ok"] == true);
  CHECK(h.ipvs.writes() == 1);
  CHECK(h.weight("192.0.2.11:25", kB) == 7u);  // not diffed: not the drain's service

  h.ipvs.reset_table_reads();
  h.run_for(61000ms);  // the periodic read and full diff
  CHECK(h.ipvs.table_reads() >= 1);
  CHECK(h.weight("192.0.2.11:25", kB) == 1u);
  CHECK(h.weight(kVip, kA) == 0u);
}

TEST_CASE("kept table: a drain's counts are read for its service only until the periodic whole read") {
  Harness h;
  write_file(h.config, descriptor("", kSecond));
  started_healthy(h);
  REQUIRE(h.ipvs.set_counters(key("192.0.2.10"), real("203.0.113.81"), {}, 3, 0, 0));
  REQUIRE(h.request(admin(lvsd::Command::drain, "smtp", kA))["ok"] == true);
  h.run_for(10000ms);
  CHECK(h.ipvs.table_reads() == 0);
  CHECK(nlohmann::json(h.daemon->status())["services"][0]["reals"][0]["admin"] == "draining");
  REQUIRE(h.ipvs.set_counters(key("192.0.2.10"), real("203.0.113.81"), {}, 0, 0, 0));
  h.run_for(2100ms);
  CHECK(h.ipvs.table_reads() == 0);
  CHECK(nlohmann::json(h.daemon->status())["services"][0]["reals"][0]["admin"] == "drained");
}

TEST_CASE("kept table: steady health edges do not keep the periodic whole read from coming") {
  Harness h;
  write_file(h.config, descriptor());
  started_healthy(h);
  bool up = true;
  for (int i = 0; i < 25; ++i) {  // 75 s of a real flapping: an edge every few seconds
    up = !up;
    h.set_up(kB, up);
    h.run_for(3000ms);
  }
  CHECK(h.ipvs.writes() >= 10);
  CHECK(h.ipvs.table_reads() >= 1);
}
