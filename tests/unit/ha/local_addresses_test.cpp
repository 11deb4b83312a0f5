#include <algorithm>

#include <catch2/catch.hpp>

#include "ha/local_addresses.h"
#include "model/loader.h"

using lvs::net::IpAddress;

TEST_CASE("local addresses: this host's include loopback, and pick the node that owns one") {
  auto local = lvs::ha::local_addresses();
  REQUIRE(local.ok());
  const auto loopback = *IpAddress::parse("127.0.0.1");
  CHECK(std::find(local->begin(), local->end(), loopback) != local->end());
  lvs::model::Cluster c;
  c.name = "mail";
  c.nodes = {{"lb1", *IpAddress::parse("198.51.100.1"), 200}, {"lb2", loopback, 100}};
  auto node = lvs::model::find_local_node(c, "", *local);
  REQUIRE(node.ok());
  CHECK(node->name == "lb2");
}
