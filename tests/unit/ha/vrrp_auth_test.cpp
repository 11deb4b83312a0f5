#include <string>
#include <variant>

#include <catch2/catch.hpp>

#include "ha/vrrp_auth.h"

using lvs::ha::DropReason;
using lvs::ha::KeyRing;
using lvs::ha::Verified;
using lvs::net::IpAddress;

namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

const std::string kHexA(64, 'a');
const std::string kHexB = std::string(62, '0') + "01";

KeyRing ring(const std::string& text) {
  auto r = lvs::ha::parse_key_file(text, "/etc/lvs/vrrp.key");
  REQUIRE(r.ok());
  return *r;
}

struct Signed {
  IpAddress src = ip("198.51.100.1");
  IpAddress dst = ip("198.51.100.2");
  std::vector<std::uint8_t> message;
  std::vector<std::uint8_t> payload;
  Signed(const KeyRing& keys, std::uint64_t counter) {
    lvs::ha::Advert a{.vrid = 51, .priority = 150, .interval_cs = 100, .addresses = {ip("192.0.2.10")}};
    message = lvs::ha::encode_advert(a, src, dst);
    payload = message;
    auto t = lvs::ha::sign(message, src, dst, keys.keys[0], counter);
    payload.insert(payload.end(), t.begin(), t.end());
  }
};

}  // namespace

TEST_CASE("vrrp auth: a signed advert verifies and yields its counter") {
  auto keys = ring(kHexA + "\n");
  Signed s(keys, 0x0000000700000003ULL);
  REQUIRE(s.payload.size() == s.message.size() + lvs::ha::kTrailerBytes);
  auto v = lvs::ha::verify(s.payload, s.message.size(), s.src, s.dst, keys);
  REQUIRE(std::holds_alternative<Verified>(v));
  CHECK(std::get<Verified>(v).counter == 0x0000000700000003ULL);
  // The plain parser accepts the message with the trailer only when told to expect one.
  lvs::ha::Envelope env{s.src, s.dst, 255};
  lvs::ha::Expectation ex{51, lvs::net::Family::inet, {}};
  CHECK(std::holds_alternative<DropReason>(lvs::ha::parse_advert(s.payload, env, ex, false)));
  CHECK(std::holds_alternative<lvs::ha::Advert>(lvs::ha::parse_advert(s.payload, env, ex, true)));
}

TEST_CASE("vrrp auth: any change to message, addresses, counter or mac is refused") {
  auto keys = ring(kHexA);
  Signed s(keys, 42);
  SECTION("a priority byte") {
    s.payload[2] ^= 1;
    CHECK(std::get<DropReason>(lvs::ha::verify(s.payload, s.message.size(), s.src, s.dst, keys)) ==
          DropReason::auth_bad_mac);
  }
  SECTION("the counter") {
    s.payload[s.message.size() + 11] ^= 1;
    CHECK(std::get<DropReason>(lvs::ha::verify(s.payload, s.message.size(), s.src, s.dst, keys)) ==
          DropReason::auth_bad_mac);
  }
  SECTION("the mac") {
    s.payload.back() ^= 0x80;
    CHECK(std::get<DropReason>(lvs::ha::verify(s.payload, s.message.size(), s.src, s.dst, keys)) ==
          DropReason::auth_bad_mac);
  }
  SECTION("the source address (a reflected advert)") {
    CHECK(std::get<DropReason>(lvs::ha::verify(s.payload, s.message.size(), ip("198.51.100.9"), s.dst, keys)) ==
          DropReason::auth_bad_mac);
  }
  SECTION("no trailer") {
    CHECK(std::get<DropReason>(lvs::ha::verify(s.message, s.message.size(), s.src, s.dst, keys)) ==
          DropReason::auth_missing);
  }
  SECTION("bytes after the trailer") {
    s.payload.push_back(0);
    CHECK(std::get<DropReason>(lvs::ha::verify(s.payload, s.message.size(), s.src, s.dst, keys)) ==
          DropReason::trailing_bytes);
  }
}

TEST_CASE("vrrp auth: a key we do not hold is refused by its id; during rotation both keys verify") {
  auto old_only = ring(kHexA);
  auto new_only = ring(kHexB);
  auto both = ring(kHexB + "\n" + kHexA + "\n");
  Signed by_old(old_only, 1);
  Signed by_new(new_only, 2);
  CHECK(std::get<DropReason>(lvs::ha::verify(by_new.payload, by_new.message.size(), by_new.src, by_new.dst,
                                             old_only)) == DropReason::auth_bad_key);
  auto v_old = lvs::ha::verify(by_old.payload, by_old.message.size(), by_old.src, by_old.dst, both);
  auto v_new = lvs::ha::verify(by_new.payload, by_new.message.size(), by_new.src, by_new.dst, both);
  REQUIRE(std::holds_alternative<Verified>(v_old));
  REQUIRE(std::holds_alternative<Verified>(v_new));
  CHECK(std::get<Verified>(v_new).key_index == 0);
  CHECK(std::get<Verified>(v_old).key_index == 1);
}

TEST_CASE("vrrp auth: the key file is checked and its errors never show the secret") {
  auto bad = [](const std::string& text) {
    auto r = lvs::ha::parse_key_file(text, "/etc/lvs/vrrp.key");
    REQUIRE_FALSE(r.ok());
    return r.error().message;
  };
  CHECK(bad("") == "/etc/lvs/vrrp.key: no key in the file");
  CHECK(bad("# only a comment\n\n") == "/etc/lvs/vrrp.key: no key in the file");
  CHECK(bad(std::string(62, 'a')).find("at least 64 hex digits") != std::string::npos);
  CHECK(bad(std::string(63, 'a') + "g") == "/etc/lvs/vrrp.key:1: a key is hex digits only");
  CHECK(bad(kHexA + "\n" + kHexB + "\n" + kHexA) ==
        "/etc/lvs/vrrp.key:3: at most two keys (the signing key, then the one being rotated)");
  CHECK(bad(kHexA + "\n" + kHexA) == "/etc/lvs/vrrp.key: the two keys are the same");
  auto msg = bad("# k\n" + std::string(65, 'b'));
  CHECK(msg == "/etc/lvs/vrrp.key:2: a key is an even number of hex digits");
  CHECK(ring("  " + kHexA + "  \r\n").keys.size() == 1);
}

TEST_CASE("vrrp auth: counters carry the epoch high and a sequence low, and replays are refused") {
  lvs::ha::CounterSource source(7);
  auto c1 = source.next();
  auto c2 = source.next();
  REQUIRE(c1);
  REQUIRE(c2);
  CHECK(*c1 == (7ULL << 32 | 1));
  CHECK(*c2 > *c1);

  const auto peer = ip("198.51.100.2");
  lvs::ha::ReplayGuard guard;
  CHECK(guard.accept(peer, *c1));
  CHECK(guard.accept(peer, *c2));
  CHECK_FALSE(guard.accept(peer, *c2));  // the same advert again
  CHECK_FALSE(guard.accept(peer, *c1));  // an older one
  CHECK(guard.epoch_of(peer) == 7u);
  CHECK(guard.accept(ip("198.51.100.3"), *c1));  // per peer

  // After our restart: the peer's epoch comes from disk, its earlier runs stay refused.
  lvs::ha::ReplayGuard restarted;
  restarted.remember_epoch(peer, 7);
  CHECK_FALSE(restarted.accept(peer, 6ULL << 32 | 999));
  CHECK(restarted.accept(peer, 7ULL << 32 | 5));
  // The peer restarted: a higher epoch starts its sequence again.
  CHECK(restarted.accept(peer, 8ULL << 32 | 1));
  CHECK(restarted.epoch_of(peer) == 8u);
}
