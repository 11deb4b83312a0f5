// Ownership when the kernel's acknowledgement is lost: the table read back decides.
#include <catch2/catch.hpp>

#include <cerrno>
#include <variant>

#include "harness.h"

using namespace std::chrono_literals;
using lvsd::test::Harness;
using lvsd::test::descriptor;
using lvsd::test::write_file;
namespace ipvs = lvs::ipvs;

namespace {

const char* kSecond = R"(,
    { "name": "smtp2", "address": "192.0.2.11", "port": 25, "scheduler": "rr", "pool": "mail" })";

ipvs::ServiceKey second_key() {
  ipvs::ServiceKey k;
  k.address = *lvs::net::IpAddress::parse("192.0.2.11");
  k.family = k.address.family;
  k.protocol = ipvs::Protocol::tcp;
  k.port = 25;
  return k;
}

bool in_table(Harness& h, const ipvs::ServiceKey& key) {
  auto table = h.ipvs.read_table();
  REQUIRE(table);
  for (const auto& s : table->services)
    if (s.service.key == key) return true;
  return false;
}

auto is_delete_of(const ipvs::ServiceKey& key) {
  return [key](const ipvs::Operation& op) {
    const auto* d = std::get_if<ipvs::DeleteService>(&op);
    return d && d->key == key;
  };
}

auto is_add_of(const ipvs::ServiceKey& key) {
  return [key](const ipvs::Operation& op) {
    const auto* a = std::get_if<ipvs::AddService>(&op);
    return a && a->service.key == key;
  };
}

}  // namespace

TEST_CASE("ownership: a delete applied but not acknowledged is forgotten, so a service someone else adds later survives") {
  Harness h;
  write_file(h.config, descriptor("", kSecond));
  REQUIRE_FALSE(h.start());
  h.run_for(2000ms);
  REQUIRE(in_table(h, second_key()));

  write_file(h.config, descriptor());
  h.ipvs.lose_ack_of(is_delete_of(second_key()));
  (void)h.daemon->reload();
  REQUIRE_FALSE(in_table(h, second_key()));  // the kernel did delete it
  h.run_for(6000ms);                          // a retry, should the daemon make one

  ipvs::Service foreign;  // an operator adds a service of their own with that key
  foreign.key = second_key();
  foreign.scheduler = "wlc";
  REQUIRE(h.ipvs.add_service(foreign));
  (void)h.daemon->reload();
  h.run_for(6000ms);
  CHECK(in_table(h, second_key()));
}

TEST_CASE("ownership: an add applied but not acknowledged is owned, so removing it from the descriptor deletes it") {
  Harness h;
  write_file(h.config, descriptor("", kSecond));
  h.ipvs.lose_ack_of(is_add_of(second_key()));
  REQUIRE_FALSE(h.start());
  REQUIRE(in_table(h, second_key()));  // the kernel did add it

  write_file(h.config, descriptor());  // removed before any retry
  (void)h.daemon->reload();
  h.run_for(6000ms);
  CHECK_FALSE(in_table(h, second_key()));
}
