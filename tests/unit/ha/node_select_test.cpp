#include <catch2/catch.hpp>

#include "ha/node_select.h"

using lvs::net::IpAddress;

namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

std::vector<lvs::model::Node> pair() {
  return {{"lb1", ip("198.51.100.1"), 200}, {"lb2", ip("198.51.100.2"), 100}};
}

}  // namespace

TEST_CASE("node select: --node names the node, whatever addresses are local") {
  auto n = lvs::ha::select_node(pair(), "lb2", {ip("198.51.100.1")});
  REQUIRE(n.ok());
  CHECK(n->name == "lb2");
}

TEST_CASE("node select: an unknown --node lists the nodes there are") {
  auto n = lvs::ha::select_node(pair(), "lb3", {});
  REQUIRE_FALSE(n.ok());
  CHECK(n.error().message == "--node lb3 is not a node of the descriptor (nodes: lb1, lb2)");
}

TEST_CASE("node select: without --node, the node whose address is local") {
  auto n = lvs::ha::select_node(pair(), "", {ip("127.0.0.1"), ip("::1"), ip("198.51.100.2")});
  REQUIRE(n.ok());
  CHECK(n->name == "lb2");
}

TEST_CASE("node select: no local node address, or two, is an error and never a guess") {
  auto none = lvs::ha::select_node(pair(), "", {ip("127.0.0.1")});
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().message ==
        "no node's address is configured on this host (nodes: lb1 198.51.100.1, lb2 198.51.100.2); "
        "give --node NAME or configure the node's address");
  auto both = lvs::ha::select_node(pair(), "", {ip("198.51.100.1"), ip("198.51.100.2")});
  REQUIRE_FALSE(both.ok());
  CHECK(both.error().message == "the addresses of lb1 and lb2 are all configured on this host; give --node NAME");
}

TEST_CASE("node select: this host's addresses include loopback") {
  auto local = lvs::ha::local_addresses();
  REQUIRE(local.ok());
  CHECK(std::find(local->begin(), local->end(), ip("127.0.0.1")) != local->end());
}
