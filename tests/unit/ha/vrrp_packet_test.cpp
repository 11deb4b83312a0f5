#include <set>
#include <string_view>

#include <catch2/catch.hpp>

#include "ha/vrrp_packet.h"

using lvs::ha::Advert;
using lvs::ha::DropReason;
using lvs::ha::Envelope;
using lvs::ha::Expectation;
using lvs::net::Family;
using lvs::net::IpAddress;

namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

struct V4 {
  IpAddress src = ip("198.51.100.1");
  IpAddress dst = ip("198.51.100.2");
  Advert advert{.vrid = 51, .priority = 150, .interval_cs = 100,
                .addresses = {ip("192.0.2.10"), ip("192.0.2.20")}};
  Envelope env() const { return {src, dst, 255}; }
  Expectation expect() const { return {51, Family::inet, advert.addresses}; }
};

DropReason dropped(const lvs::ha::ParseResult& r) {
  REQUIRE(std::holds_alternative<DropReason>(r));
  return std::get<DropReason>(r);
}

// Rewrites the checksum after a test edited a field, so only the edited check fails.
void refresh_checksum(std::vector<std::uint8_t>& wire, const IpAddress& src, const IpAddress& dst) {
  wire[6] = wire[7] = 0;
  const auto sum = lvs::ha::vrrp_checksum(wire, src, dst);
  wire[6] = static_cast<std::uint8_t>(sum >> 8);
  wire[7] = static_cast<std::uint8_t>(sum & 0xff);
}

}  // namespace

TEST_CASE("vrrp: an IPv4 advert has the RFC 5798 layout and parses back equal") {
  V4 t;
  const auto wire = lvs::ha::encode_advert(t.advert, t.src, t.dst);
  REQUIRE(wire.size() == 8 + 2 * 4);
  CHECK(wire[0] == 0x31);  // version 3, type 1
  CHECK(wire[1] == 51);
  CHECK(wire[2] == 150);
  CHECK(wire[3] == 2);
  CHECK(wire[4] == 0x00);
  CHECK(wire[5] == 100);  // 1 s in centiseconds
  CHECK(std::vector<std::uint8_t>(wire.begin() + 8, wire.begin() + 12) == std::vector<std::uint8_t>{192, 0, 2, 10});
  auto parsed = lvs::ha::parse_advert(wire, t.env(), t.expect());
  REQUIRE(std::holds_alternative<Advert>(parsed));
  CHECK(std::get<Advert>(parsed) == t.advert);
}

TEST_CASE("vrrp: the IPv4 checksum covers the pseudo-header (a worked example)") {
  // 198.51.100.1 -> 198.51.100.2, VRID 51, priority 150, 1 address 192.0.2.10, 100 cs.
  // Summed independently: pseudo-header c633+6401+c633+6402+0070+000c, message
  // 3133+9601+0064+0000+c000+020a; folded 0xde8a, complement 0x2175.
  V4 t;
  t.advert.addresses = {ip("192.0.2.10")};
  const auto wire = lvs::ha::encode_advert(t.advert, t.src, t.dst);
  CHECK(wire[6] == 0x21);
  CHECK(wire[7] == 0x75);
  CHECK(lvs::ha::vrrp_checksum(wire, t.src, t.dst) == 0);
}

TEST_CASE("vrrp: an IPv6 advert round-trips and its checksum depends on the addresses") {
  const auto src = ip("fe80::1");
  const auto dst = ip("ff02::12");
  Advert a{.vrid = 7, .priority = 100, .interval_cs = 25, .addresses = {ip("2001:db8::10")}};
  const auto wire = lvs::ha::encode_advert(a, src, dst);
  REQUIRE(wire.size() == 8 + 16);
  auto parsed = lvs::ha::parse_advert(wire, {src, dst, 255}, {7, Family::inet6, a.addresses});
  REQUIRE(std::holds_alternative<Advert>(parsed));
  CHECK(std::get<Advert>(parsed) == a);
  // The same bytes from another source fail: the pseudo-header is part of the sum.
  CHECK(dropped(lvs::ha::parse_advert(wire, {ip("fe80::2"), dst, 255}, {7, Family::inet6, a.addresses})) ==
        DropReason::bad_checksum);
}

TEST_CASE("vrrp: addresses of the other family are left out of a packet") {
  V4 t;
  t.advert.addresses.push_back(ip("2001:db8::10"));
  const auto wire = lvs::ha::encode_advert(t.advert, t.src, t.dst);
  CHECK(wire[3] == 2);
  CHECK(wire.size() == 16);
}

TEST_CASE("vrrp: a receiver drops each kind of bad advert with its reason") {
  V4 t;
  auto good = lvs::ha::encode_advert(t.advert, t.src, t.dst);

  SECTION("TTL below 255: it crossed a router") {
    auto env = t.env();
    env.ttl = 254;
    CHECK(dropped(lvs::ha::parse_advert(good, env, t.expect())) == DropReason::bad_ttl);
  }
  SECTION("shorter than the header") {
    CHECK(dropped(lvs::ha::parse_advert(std::span(good).first(7), t.env(), t.expect())) == DropReason::truncated);
  }
  SECTION("fewer address bytes than the count announces") {
    CHECK(dropped(lvs::ha::parse_advert(std::span(good).first(good.size() - 1), t.env(), t.expect())) ==
          DropReason::truncated);
  }
  SECTION("version 2") {
    good[0] = 0x21;
    refresh_checksum(good, t.src, t.dst);
    CHECK(dropped(lvs::ha::parse_advert(good, t.env(), t.expect())) == DropReason::bad_version);
  }
  SECTION("a type other than advertisement") {
    good[0] = 0x32;
    refresh_checksum(good, t.src, t.dst);
    CHECK(dropped(lvs::ha::parse_advert(good, t.env(), t.expect())) == DropReason::bad_type);
  }
  SECTION("one flipped bit fails the checksum") {
    good[2] ^= 0x01;
    CHECK(dropped(lvs::ha::parse_advert(good, t.env(), t.expect())) == DropReason::bad_checksum);
  }
  SECTION("another virtual router") {
    good[1] = 52;
    refresh_checksum(good, t.src, t.dst);
    CHECK(dropped(lvs::ha::parse_advert(good, t.env(), t.expect())) == DropReason::wrong_vrid);
  }
  SECTION("no addresses") {
    Advert none = t.advert;
    none.addresses.clear();
    auto wire = lvs::ha::encode_advert(none, t.src, t.dst);
    CHECK(dropped(lvs::ha::parse_advert(wire, t.env(), t.expect())) == DropReason::no_addresses);
  }
  SECTION("interval 0") {
    good[4] = 0;
    good[5] = 0;
    refresh_checksum(good, t.src, t.dst);
    CHECK(dropped(lvs::ha::parse_advert(good, t.env(), t.expect())) == DropReason::zero_interval);
  }
  SECTION("another VIP list from a non-owner") {
    Advert other = t.advert;
    other.addresses = {ip("192.0.2.10"), ip("192.0.2.99")};
    auto wire = lvs::ha::encode_advert(other, t.src, t.dst);
    CHECK(dropped(lvs::ha::parse_advert(wire, t.env(), t.expect())) == DropReason::addresses_differ);
  }
  SECTION("bytes after the addresses, unless a trailer is expected") {
    good.push_back(0xab);
    CHECK(dropped(lvs::ha::parse_advert(good, t.env(), t.expect())) == DropReason::trailing_bytes);
    CHECK(std::holds_alternative<Advert>(lvs::ha::parse_advert(good, t.env(), t.expect(), true)));
  }
  SECTION("an IPv6 envelope for an IPv4 router") {
    Envelope env{ip("fe80::1"), ip("ff02::12"), 255};
    CHECK(dropped(lvs::ha::parse_advert(good, env, t.expect())) == DropReason::family_mismatch);
  }
}

TEST_CASE("vrrp: the VIP list compares as a set, and the address owner may differ") {
  V4 t;
  Advert swapped = t.advert;
  std::swap(swapped.addresses[0], swapped.addresses[1]);
  auto wire = lvs::ha::encode_advert(swapped, t.src, t.dst);
  CHECK(std::holds_alternative<Advert>(lvs::ha::parse_advert(wire, t.env(), t.expect())));

  Advert owner = t.advert;
  owner.priority = 255;
  owner.addresses = {ip("192.0.2.99")};
  wire = lvs::ha::encode_advert(owner, t.src, t.dst);
  CHECK(std::holds_alternative<Advert>(lvs::ha::parse_advert(wire, t.env(), t.expect())));
}

TEST_CASE("vrrp: the reserved bits are ignored and intervals above 12 bits are clamped") {
  V4 t;
  t.advert.interval_cs = 5000;
  auto wire = lvs::ha::encode_advert(t.advert, t.src, t.dst);
  CHECK(((wire[4] & 0x0f) << 8 | wire[5]) == 4095);
  wire[4] |= 0xf0;  // reserved bits set by a sloppy sender
  refresh_checksum(wire, t.src, t.dst);
  auto parsed = lvs::ha::parse_advert(wire, t.env(), t.expect());
  REQUIRE(std::holds_alternative<Advert>(parsed));
  CHECK(std::get<Advert>(parsed).interval_cs == 4095);
}

TEST_CASE("vrrp: every drop reason has a distinct name") {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < lvs::ha::kDropReasonCount; ++i)
    names.insert(lvs::ha::to_string(static_cast<DropReason>(i)));
  CHECK(names.size() == lvs::ha::kDropReasonCount);
  CHECK(names.count("unknown") == 0);
}

TEST_CASE("vrrp: a standby report (type 2) is read only by a receiver that expects them") {
  V4 t;
  auto report = t.advert;
  report.type = lvs::ha::kTypeStandby;
  const auto wire = lvs::ha::encode_advert(report, t.src, t.dst);
  CHECK(wire[0] == 0x32);
  // Plain VRRP (authentication none, keepalived): an unknown type, dropped.
  CHECK(dropped(lvs::ha::parse_advert(wire, t.env(), t.expect())) == DropReason::bad_type);
  auto expect = t.expect();
  expect.standby_reports = true;
  auto parsed = lvs::ha::parse_advert(wire, t.env(), expect);
  REQUIRE(std::holds_alternative<Advert>(parsed));
  CHECK(std::get<Advert>(parsed) == report);
  // Any other unknown type stays dropped.
  auto other = wire;
  other[0] = 0x33;
  refresh_checksum(other, t.src, t.dst);
  CHECK(dropped(lvs::ha::parse_advert(other, t.env(), expect)) == DropReason::bad_type);
}
