#include <catch2/catch.hpp>

#include "daemon/admin_state.h"
#include "harness.h"

TEST_CASE("admin state: drains round-trip through the state file") {
  lvsd::test::TempDir dir;
  lvsd::AdminState s;
  lvs::ipvs::DestKey real{*lvs::net::IpAddress::parse("2001:db8::5"), 993};
  REQUIRE(s.drain("imaps", real, 1800000000, 600));
  s.drains[0].drained_at = 1800000100;
  s.drains[0].drained_note = "no connections left";
  const std::string path = lvsd::admin_state_path(dir.path(), "lb");
  CHECK(path == dir.path() + "/admin.netns-lb.json");
  REQUIRE(lvsd::save_admin_state(path, s));
  auto back = lvsd::load_admin_state(path);
  REQUIRE(back);
  CHECK(*back == s);
}

TEST_CASE("admin state: a missing file is empty, a corrupt one is an error") {
  lvsd::test::TempDir dir;
  auto missing = lvsd::load_admin_state(dir.file("admin.json"));
  REQUIRE(missing);
  CHECK(missing->drains.empty());
  lvsd::test::write_file(dir.file("admin.json"), "{\"version\":1,\"drains\":[{\"service\":1}]}");
  CHECK_FALSE(lvsd::load_admin_state(dir.file("admin.json")));
}

TEST_CASE("admin state: draining again keeps the start, enable removes the entry") {
  lvsd::AdminState s;
  lvs::ipvs::DestKey real{*lvs::net::IpAddress::parse("203.0.113.81"), 25};
  REQUIRE(s.drain("smtp", real, 100, 0));
  CHECK(s.drain("smtp", real, 200, 30));
  CHECK(s.drains[0].since == 100);
  CHECK_FALSE(s.enable("pop", real));
  CHECK(s.enable("smtp", real));
  CHECK(s.drains.empty());
}
