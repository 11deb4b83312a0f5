// Retirement: a service a reload removes is kept with every real at weight 0 while it has
// connections, and deleted once they end or its deadline passes.
#include <catch2/catch.hpp>

#include "harness.h"

using namespace std::chrono_literals;
using lvsd::test::Harness;
using lvsd::test::kA;
using lvsd::test::kB;
using lvsd::test::descriptor;
using lvsd::test::write_file;

namespace {

constexpr const char* kOld = "192.0.2.11:25";
const std::string kWithOld = descriptor("", R"(,
    { "name": "smtp2", "address": "192.0.2.11", "port": 25, "scheduler": "rr", "pool": "mail" })");

lvs::ipvs::ServiceKey old_key() {
  lvs::ipvs::ServiceKey k;
  k.address = *lvs::net::IpAddress::parse("192.0.2.11");
  k.port = 25;
  return k;
}

void set_conns(Harness& h, const char* real, std::uint32_t active, std::uint32_t inactive, std::uint32_t persistent = 0) {
  const std::string r = real;
  const auto colon = r.rfind(':');
  lvs::ipvs::DestKey d{*lvs::net::IpAddress::parse(r.substr(0, colon)), 25};
  REQUIRE(h.ipvs.set_counters(old_key(), d, {}, active, inactive, persistent));
}

// Both services up, then a reload that drops smtp2 while `a` connections run on its real A.
void reload_dropping_old(Harness& h, std::uint32_t a) {
  write_file(h.config, kWithOld);
  REQUIRE_FALSE(h.start());
  h.run_for(2000ms);
  REQUIRE(h.weight(kOld, kA) == 1u);
  set_conns(h, kA, a, 0);
  write_file(h.config, descriptor());
  REQUIRE(h.daemon->reload().ok);
}

}  // namespace

TEST_CASE("retire: a reload removing a service with connections keeps it, every real at weight 0") {
  Harness h;
  reload_dropping_old(h, 2);
  CHECK(h.weight(kOld, kA) == 0u);
  CHECK(h.weight(kOld, kB) == 0u);
  REQUIRE(h.daemon->retirements().list().size() == 1);
  CHECK(h.daemon->retirements().list()[0].connections == 2);
  CHECK(h.log.contains("retiring tcp 192.0.2.11:25: gone from the descriptor, 2 connection(s) left"));
  const nlohmann::json st = h.daemon->status();
  REQUIRE(st["retiring"].size() == 1);
  CHECK(st["retiring"][0]["key"] == "tcp 192.0.2.11:25");
  CHECK(st["retiring"][0]["connections"] == 2);
  CHECK(st["retiring"][0]["deadline_s"] == 300);
  const std::string m = h.daemon->metrics_text();
  CHECK(m.find("\nlvsd_retiring{kind=\"service\"} 1\n") != std::string::npos);
  CHECK(m.find("\nlvsd_retiring{kind=\"real\"} 0\n") != std::string::npos);
  CHECK(m.find("\nlvsd_retiring_connections 2\n") != std::string::npos);
  h.run_for(10000ms);  // counts read every 2 s: still 2
  CHECK(h.has_real(kOld, kA));
}

TEST_CASE("retire: the service is deleted once its connections end (persistence templates aside)") {
  Harness h;
  reload_dropping_old(h, 1);
  set_conns(h, kA, 0, 0, 3);
  h.run_for(3000ms);
  CHECK_FALSE(h.has_real(kOld, kA));
  auto table = h.ipvs.read_table();
  REQUIRE(table);
  CHECK(table->services.size() == 1);
  CHECK(h.daemon->retirements().empty());
  CHECK(h.log.contains("retired tcp 192.0.2.11:25: no connections left"));
  CHECK(h.daemon->metrics_text().find("\nlvsd_retiring{kind=\"service\"} 0\n") != std::string::npos);
}

TEST_CASE("retire: the deadline deletes the service with the connections it still has, and says so") {
  Harness h;
  reload_dropping_old(h, 4);
  h.wall += 299;
  h.run_for(3000ms);
  CHECK(h.has_real(kOld, kA));
  h.wall += 1;
  h.run_for(3000ms);
  CHECK_FALSE(h.has_real(kOld, kA));
  CHECK(h.log.contains("retired tcp 192.0.2.11:25: deadline of 300 s passed with 4 connection(s) left"));
}

TEST_CASE("retire: a reload bringing the service back restores its weights and deletes nothing") {
  Harness h;
  reload_dropping_old(h, 2);
  REQUIRE(h.weight(kOld, kA) == 0u);
  h.ipvs.reset_writes();
  write_file(h.config, kWithOld);
  REQUIRE(h.daemon->reload().ok);
  CHECK(h.weight(kOld, kA) == 1u);
  CHECK(h.weight(kOld, kB) == 1u);
  CHECK(h.ipvs.writes() == 2);  // two weights, no delete and no add
  CHECK(h.daemon->retirements().empty());
  set_conns(h, kA, 0, 0);
  h.run_for(3000ms);
  CHECK(h.weight(kOld, kA) == 1u);
}

TEST_CASE("retire: a removed service without connections is deleted by the reload itself") {
  Harness h;
  reload_dropping_old(h, 0);
  CHECK_FALSE(h.has_real(kOld, kA));
  CHECK(h.daemon->retirements().empty());
}

TEST_CASE("retire: a restart while a service retires retires it again, and deletes it when idle") {
  Harness h;
  reload_dropping_old(h, 2);
  REQUIRE_FALSE(h.start());  // a new lvsd on the descriptor without smtp2
  CHECK(h.weight(kOld, kA) == 0u);
  CHECK(h.daemon->retirements().list().size() == 1);
  set_conns(h, kA, 0, 0);
  h.run_for(3000ms);
  CHECK_FALSE(h.has_real(kOld, kA));
}

namespace {

lvs::ipvs::ServiceKey smtp_key() {
  lvs::ipvs::ServiceKey k;
  k.address = *lvs::net::IpAddress::parse("192.0.2.10");
  k.port = 25;
  return k;
}

std::string without_b() {
  std::string d = descriptor();
  const std::string b = R"(, { "address": "203.0.113.82" })";
  d.erase(d.find(b), b.size());
  return d;
}

void set_b_conns(Harness& h, std::uint32_t active, std::uint32_t inactive) {
  REQUIRE(h.ipvs.set_counters(smtp_key(), {*lvs::net::IpAddress::parse("203.0.113.82"), 25}, {}, active, inactive, 0));
}

// smtp up with A and B, then a reload that drops B while it has 3 connections.
void reload_dropping_b(Harness& h) {
  REQUIRE_FALSE(h.start());
  h.run_for(2000ms);
  REQUIRE(h.weight(lvsd::test::kVip, kB) == 1u);
  set_b_conns(h, 3, 0);
  write_file(h.config, without_b());
  REQUIRE(h.daemon->reload().ok);
}

}  // namespace

TEST_CASE("retire: a real a reload removes stays at weight 0 while it has connections, and goes when they end") {
  Harness h;
  reload_dropping_b(h);
  CHECK(h.weight(lvsd::test::kVip, kB) == 0u);
  CHECK(h.weight(lvsd::test::kVip, kA) == 1u);
  REQUIRE(h.daemon->retirements().reals().size() == 1);
  const nlohmann::json st = h.daemon->status();
  REQUIRE(st["retiring"].size() == 1);
  CHECK(st["retiring"][0]["real"] == "203.0.113.82:25");
  CHECK(st["retiring"][0]["connections"] == 3);
  CHECK(h.log.contains("retiring real 203.0.113.82:25 of tcp 192.0.2.10:25: gone from the descriptor, 3 connection(s)"));
  // A health edge on the service plans it alone: the retiring real stays.
  h.set_up(kA, false);
  h.run_for(3000ms);
  CHECK(h.weight(lvsd::test::kVip, kA) == 0u);
  CHECK(h.weight(lvsd::test::kVip, kB) == 0u);
  set_b_conns(h, 0, 0);
  h.run_for(3000ms);
  CHECK_FALSE(h.has_real(lvsd::test::kVip, kB));
  CHECK(h.daemon->retirements().empty());
  CHECK(h.log.contains("retired real 203.0.113.82:25 of tcp 192.0.2.10:25: no connections left, removing it"));
}

TEST_CASE("retire: a real back in the descriptor is normal again; its deadline removes it otherwise") {
  Harness h;
  reload_dropping_b(h);
  write_file(h.config, descriptor());
  REQUIRE(h.daemon->reload().ok);
  CHECK(h.weight(lvsd::test::kVip, kB) == 1u);
  CHECK(h.daemon->retirements().empty());
  write_file(h.config, without_b());
  REQUIRE(h.daemon->reload().ok);
  REQUIRE(h.weight(lvsd::test::kVip, kB) == 0u);
  h.wall += 300;
  h.run_for(3000ms);
  CHECK_FALSE(h.has_real(lvsd::test::kVip, kB));
  CHECK(h.log.contains("retired real 203.0.113.82:25 of tcp 192.0.2.10:25: deadline of 300 s passed with 3 connection(s) left"));
}
