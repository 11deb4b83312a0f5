#include <catch2/catch.hpp>

#include "common/file_io.h"
#include "ha/ha_state.h"
#include "support/temp_dir.h"

using lvs::ha::PersistentHa;

namespace {

std::string error_of(const std::string& text) {
  auto r = lvs::ha::ha_state_from_json(text, "/var/lib/lvsd/ha.json");
  REQUIRE_FALSE(r.ok());
  return r.error().message;
}

}  // namespace

TEST_CASE("ha state: epoch, hold and peer epochs round-trip through the file") {
  lvs::testing::TempDir dir;
  const auto path = lvs::ha::ha_state_path(dir.path() + "/state", "");
  auto empty = lvs::ha::load_ha_state(path);
  REQUIRE(empty.ok());
  CHECK(*empty == PersistentHa{});
  PersistentHa s;
  s.epoch = 4294967295u;
  s.held = true;
  s.peer_epochs = {{*lvs::net::IpAddress::parse("198.51.100.2"), 7}, {*lvs::net::IpAddress::parse("2001:db8::2"), 0}};
  REQUIRE(lvs::ha::save_ha_state(path, s).ok());
  auto back = lvs::ha::load_ha_state(path);
  REQUIRE(back.ok());
  CHECK(*back == s);
}

TEST_CASE("ha state: a corrupt file is an error naming the field, never a guess") {
  CHECK(error_of("[]") == "/var/lib/lvsd/ha.json: /: not a JSON object");
  CHECK(error_of(R"({"version":"1","epoch":1,"held":false,"peers":[]})") ==
        "/var/lib/lvsd/ha.json: /version: must be the number 1");
  CHECK(error_of(R"({"version":1,"epoch":-1,"held":false,"peers":[]})") ==
        "/var/lib/lvsd/ha.json: /epoch: must be a whole number 0..4294967295");
  CHECK(error_of(R"({"version":1,"epoch":4294967296,"held":false,"peers":[]})") ==
        "/var/lib/lvsd/ha.json: /epoch: must be a whole number 0..4294967295");
  CHECK(error_of(R"({"version":1,"epoch":1,"held":"no","peers":[]})") ==
        "/var/lib/lvsd/ha.json: /held: must be true or false");
  CHECK(error_of(R"({"version":1,"epoch":1,"held":false,"peers":[{"address":"lb2","epoch":1}]})") ==
        "/var/lib/lvsd/ha.json: /peers/0/address: must be an IP address");
  CHECK(error_of(R"({"version":1,"epoch":1,"held":false,"peers":[{"address":"198.51.100.2"}]})") ==
        "/var/lib/lvsd/ha.json: /peers/0/epoch: must be a whole number 0..4294967295");
}

TEST_CASE("ha state: a named namespace gets its own file") {
  CHECK(lvs::ha::ha_state_path("/var/lib/lvsd", "") == "/var/lib/lvsd/ha.json");
  CHECK(lvs::ha::ha_state_path("/var/lib/lvsd", "lb1") == "/var/lib/lvsd/ha.netns-lb1.json");
}
