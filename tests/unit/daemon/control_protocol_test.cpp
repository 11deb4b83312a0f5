// The control protocol: parsing requests, bad input, and who may do what.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "daemon/control_protocol.h"

using lvsd::Access;
using lvsd::AccessPolicy;
using lvsd::Command;
using lvsd::PeerCred;
using lvsd::parse_request;

TEST_CASE("protocol: a drain request with service and deadline parses") {
  auto r = parse_request(R"({"command":"drain","real":"203.0.113.81:25","service":"smtp","deadline_s":60})");
  REQUIRE(r);
  CHECK(r->command == Command::drain);
  CHECK(r->real == "203.0.113.81:25");
  CHECK(r->service == "smtp");
  CHECK(r->deadline_s == 60);
}

TEST_CASE("protocol: garbage, non-objects and missing commands are refused with a reason") {
  CHECK(parse_request("\x01\x02garbage\xff").error().message == "request is not valid JSON");
  CHECK(parse_request("[1,2]").error().message == "request must be a JSON object");
  CHECK(parse_request("{}").error().message == "request has no \"command\" string");
  CHECK(parse_request(R"({"command":7})").error().message == "request has no \"command\" string");
}

TEST_CASE("protocol: unknown commands and fields are refused by name") {
  CHECK(parse_request(R"({"command":"format-disk"})").error().message == "unknown command \"format-disk\"");
  CHECK(parse_request(R"({"command":"reload","real":"x"})").error().message == "unknown field \"real\" for reload");
  CHECK(parse_request(R"({"command":"status","deadline_s":5})").error().message == "unknown field \"deadline_s\" for status");
  CHECK(parse_request(R"({"command":"enable","real":"203.0.113.81","deadline_s":5})").error().message ==
        "unknown field \"deadline_s\" for enable");
}

TEST_CASE("protocol: status takes optional filters; without them it means everything") {
  auto all = parse_request(R"({"command":"status"})");
  REQUIRE(all);
  CHECK_FALSE(all->filtered());
  CHECK(all->brief_over == 0);
  auto f = parse_request(
      R"({"command":"status","service":"research","real":"203.0.113.81:25","down":true,"draining":true,"brief_over":200})");
  REQUIRE(f);
  CHECK(f->filtered());
  CHECK(f->service == "research");
  CHECK(f->real == "203.0.113.81:25");
  CHECK(f->down);
  CHECK(f->draining);
  CHECK(f->brief_over == 200);
  CHECK(nlohmann::json(*f) == nlohmann::json::parse(
                                  R"({"command":"status","service":"research","real":"203.0.113.81:25","down":true,"draining":true,"brief_over":200})"));
  CHECK(parse_request(nlohmann::json(*f).dump()).value() == *f);  // round trip
  CHECK(nlohmann::json(*all) == nlohmann::json::parse(R"({"command":"status"})"));
  CHECK(parse_request(R"({"command":"status","down":1})").error().message == "\"down\" must be true or false");
  CHECK(parse_request(R"({"command":"status","brief_over":-3})").error().message ==
        "\"brief_over\" must be a number of services");
  CHECK_FALSE(parse_request(R"({"command":"status","real":"mail-1"})"));
  CHECK_FALSE(parse_request(R"({"command":"status","real":""})"));
  CHECK(parse_request(R"({"command":"drain","real":"203.0.113.81","down":true})").error().message ==
        "unknown field \"down\" for drain");
}

TEST_CASE("protocol: drain needs a real that parses, and a sane deadline") {
  CHECK(parse_request(R"({"command":"drain"})").error().message == "drain needs \"real\"");
  CHECK_FALSE(parse_request(R"({"command":"drain","real":"mail-1"})"));
  CHECK_FALSE(parse_request(R"({"command":"drain","real":"203.0.113.81:0"})"));
  CHECK_FALSE(parse_request(R"({"command":"drain","real":"203.0.113.81","deadline_s":-1})"));
  CHECK(parse_request(R"({"command":"drain","real":"[2001:db8::5]:993"})"));
  CHECK(parse_request(R"({"command":"check","real":"2001:db8::5"})"));
}

TEST_CASE("protocol: an oversized request is refused before it is parsed") {
  std::string big = R"({"command":"status","x":")" + std::string(70000, 'a') + "\"}";
  CHECK(parse_request(big).error().message == "request longer than 65536 bytes");
}

TEST_CASE("protocol: real selectors accept ADDR, ADDR:PORT, [V6]:PORT and V6") {
  auto a = lvsd::parse_real_selector("203.0.113.81");
  REQUIRE(a);
  CHECK(a->port == 0);
  auto b = lvsd::parse_real_selector("[2001:db8::5]:993");
  REQUIRE(b);
  CHECK(b->address_text == "2001:db8::5");
  CHECK(b->port == 993);
  CHECK_FALSE(lvsd::parse_real_selector("[2001:db8::5]"));
  CHECK_FALSE(lvsd::parse_real_selector("203.0.113.81:99999"));
}

TEST_CASE("access: root and the admin group may change things, the read group may only read, others nothing") {
  AccessPolicy policy{gid_t{990}, gid_t{991}};
  PeerCred root{0, 0, {}};
  PeerCred admin{1000, 1000, {990}};
  PeerCred admin_primary{1001, 990, {}};
  PeerCred reader{1002, 1002, {50, 991}};
  PeerCred stranger{1003, 1003, {50}};
  CHECK(lvsd::access_for(root, policy) == Access::admin);
  CHECK(lvsd::access_for(admin, policy) == Access::admin);
  CHECK(lvsd::access_for(admin_primary, policy) == Access::admin);
  CHECK(lvsd::access_for(reader, policy) == Access::read);
  CHECK(lvsd::access_for(stranger, policy) == Access::none);
  CHECK(lvsd::allowed(Command::status, Access::read));
  CHECK_FALSE(lvsd::allowed(Command::drain, Access::read));
  CHECK_FALSE(lvsd::allowed(Command::reload, Access::read));
  CHECK_FALSE(lvsd::allowed(Command::status, Access::none));
  CHECK(lvsd::allowed(Command::reload, Access::admin));
}

TEST_CASE("access: without configured groups only root gets in") {
  AccessPolicy none;
  CHECK(lvsd::access_for(PeerCred{1000, 1000, {0}}, none) == Access::none);
  CHECK(lvsd::access_for(PeerCred{0, 0, {}}, none) == Access::admin);
}
