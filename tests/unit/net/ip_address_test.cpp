#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include "net/ip_address.h"

using lvs::net::Family;
using lvs::net::IpAddress;
using lvs::net::IpPrefix;

TEST_CASE("ip address: IPv4 and IPv6 parse and print in canonical form") {
  auto v4 = IpAddress::parse("192.0.2.10");
  REQUIRE(v4);
  CHECK(v4->family == Family::inet);
  CHECK(v4->to_string() == "192.0.2.10");
  CHECK(v4->max_prefix() == 32);

  auto v6 = IpAddress::parse("2001:0db8:0:0::0001");
  REQUIRE(v6);
  CHECK(v6->is_v6());
  CHECK(v6->to_string() == "2001:db8::1");
  CHECK(v6->max_prefix() == 128);
}

TEST_CASE("ip address: malformed text is refused, not half-parsed") {
  for (const char* bad : {"", "192.0.2", "192.0.2.256", "192.0.2.1 ", "2001:db8:::1", "example.org",
                          "192.0.2.1/24", "[2001:db8::1]"}) {
    INFO(bad);
    CHECK_FALSE(IpAddress::parse(bad));
  }
}

TEST_CASE("ip address: an IPv4 and an IPv6 address never compare equal") {
  auto v4 = IpAddress::parse("0.0.0.0");
  auto v6 = IpAddress::parse("::");
  REQUIRE(v4);
  REQUIRE(v6);
  CHECK(v4->is_unspecified());
  CHECK(v6->is_unspecified());
  CHECK(*v4 != *v6);
}

TEST_CASE("ip address: multicast is recognised in both families") {
  CHECK(IpAddress::parse("224.0.0.81")->is_multicast());
  CHECK_FALSE(IpAddress::parse("203.0.113.1")->is_multicast());
  CHECK(IpAddress::parse("ff02::12")->is_multicast());
  CHECK_FALSE(IpAddress::parse("2001:db8::12")->is_multicast());
}

TEST_CASE("ip prefix: contains follows the prefix length, including a partial byte") {
  auto net = IpAddress::parse("203.0.113.0");
  REQUIRE(net);
  CHECK(net->contains(*IpAddress::parse("203.0.113.200"), 24));
  CHECK_FALSE(net->contains(*IpAddress::parse("203.0.114.1"), 24));
  CHECK(net->contains(*IpAddress::parse("203.0.113.127"), 25));
  CHECK_FALSE(net->contains(*IpAddress::parse("203.0.113.128"), 25));
  CHECK(net->contains(*IpAddress::parse("198.51.100.1"), 0));
  CHECK_FALSE(net->contains(*IpAddress::parse("2001:db8::1"), 0));
  CHECK_FALSE(net->contains(*IpAddress::parse("203.0.113.1"), 33));
}

TEST_CASE("ip prefix: parses with and without a length, refuses lengths past the family") {
  auto p = IpPrefix::parse("192.0.2.10/24");
  REQUIRE(p);
  CHECK(p->prefix == 24);
  CHECK(p->to_string() == "192.0.2.10/24");
  CHECK(IpPrefix::parse("2001:db8::1")->prefix == 128);
  CHECK(IpPrefix::parse("2001:db8::/33")->prefix == 33);
  for (const char* bad : {"192.0.2.10/33", "192.0.2.10/", "192.0.2.10/-1", "192.0.2.10/2x",
                          "2001:db8::/129", "192.0.2.10/0024"}) {
    INFO(bad);
    CHECK_FALSE(IpPrefix::parse(bad));
  }
}

TEST_CASE("endpoint: an IPv4 address and port, and an IPv6 one in brackets") {
  CHECK(lvs::net::endpoint(*lvs::net::IpAddress::parse("203.0.113.81"), 25) == "203.0.113.81:25");
  CHECK(lvs::net::endpoint(*lvs::net::IpAddress::parse("2001:db8::1"), 993) == "[2001:db8::1]:993");
}

TEST_CASE("ip address: IPv4 prints as inet_ntop prints it, for every byte value in every place") {
  for (unsigned place = 0; place < 4; ++place)
    for (unsigned b = 0; b < 256; ++b) {
      IpAddress a;  // IPv4 by default
      a.bytes = {};
      a.bytes[0] = 198;
      a.bytes[3] = 7;
      a.bytes[place] = static_cast<std::uint8_t>(b);
      char want[INET_ADDRSTRLEN] = {};
      REQUIRE(inet_ntop(AF_INET, a.bytes.data(), want, sizeof want));
      CHECK(a.to_string() == want);
    }
}
