// FakeIpvs's test-only knobs (its kernel behaviour is covered by the conformance suite).
#include <catch2/catch.hpp>

#include <cerrno>

#include "ipvs/fake_ipvs.h"

using namespace lvs::ipvs;

namespace {

Service svc(const char* addr, std::uint16_t port) {
  Service s;
  s.key.address = *IpAddress::parse(addr);
  s.key.family = s.key.address.family;
  s.key.port = port;
  s.scheduler = "rr";
  return s;
}

Destination dst(const char* addr, std::uint16_t port, std::uint32_t weight = 1) {
  Destination d;
  d.address = *IpAddress::parse(addr);
  d.family = d.address.family;
  d.port = port;
  d.weight = weight;
  return d;
}

}  // namespace

TEST_CASE("fake: every write request is counted, failed ones too; reads are not",
          "[fake]") {
  FakeIpvs fake;
  Service s = svc("192.0.2.1", 25);
  CHECK(fake.writes() == 0);
  REQUIRE(fake.add_service(s).ok());
  REQUIRE_FALSE(fake.add_service(s).ok());  // EEXIST still reached the "kernel"
  REQUIRE(fake.add_destination(s.key, dst("198.51.100.1", 25)).ok());
  CHECK(fake.writes() == 3);

  (void)fake.list_services();
  (void)fake.read_table();
  (void)fake.timeouts();
  (void)fake.sync_daemons();
  (void)fake.info();
  CHECK(fake.writes() == 3);

  fake.reset_writes();
  auto r = fake.apply({EditDest{s.key, dst("198.51.100.1", 25, 5)}, DeleteService{s.key}});
  CHECK(r.ok());
  CHECK(fake.writes() == 2);
}

TEST_CASE("fake: an injected failure fails the next write only and changes nothing", "[fake]") {
  FakeIpvs fake;
  Service s = svc("192.0.2.2", 25);
  fake.fail_next_write(ENOBUFS);
  auto st = fake.add_service(s);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code == ENOBUFS);
  CHECK(st.error().message.find("192.0.2.2:25") != std::string::npos);
  CHECK(fake.list_services()->empty());
  CHECK(fake.add_service(s).ok());

  fake.fail_next_write(EPERM);
  auto r = fake.apply({AddDest{s.key, dst("198.51.100.2", 25)}, AddDest{s.key, dst("198.51.100.3", 25)}});
  CHECK(r.applied == std::vector<bool>{false, true});
  CHECK(r.failed_indices == std::vector<std::size_t>{0});
  CHECK(fake.list_destinations(s.key)->size() == 1);
}

TEST_CASE("fake: counters set by a test are reported and cleared by zero", "[fake]") {
  FakeIpvs fake;
  Service s = svc("192.0.2.3", 110);
  Destination d = dst("198.51.100.4", 110);
  REQUIRE(fake.add_service(s).ok());
  REQUIRE(fake.add_destination(s.key, d).ok());

  Stats st;
  st.conns = 10;
  st.inbytes = 1ull << 40;  // beyond 32 bits
  REQUIRE(fake.set_counters(s.key, st).ok());
  REQUIRE(fake.set_counters(s.key, key_of(d), st, 3, 4, 5).ok());
  auto t = fake.read_table();
  REQUIRE(t.ok());
  REQUIRE(t->services.size() == 1);
  CHECK(t->services[0].stats == st);
  REQUIRE(t->services[0].destinations.size() == 1);
  const auto& ds = t->services[0].destinations[0];
  CHECK(ds.stats == st);
  CHECK(ds.active_conns == 3);
  CHECK(ds.inactive_conns == 4);
  CHECK(ds.persistent_conns == 5);

  REQUIRE(fake.zero().ok());
  auto z = fake.read_table();
  CHECK(z->services[0].stats == Stats{});
  CHECK(z->services[0].destinations[0].stats == Stats{});
  // Connection counts are live state, not counters: zero keeps them.
  CHECK(z->services[0].destinations[0].active_conns == 3);

  CHECK(fake.set_counters(svc("192.0.2.99", 1).key, st).error().code == ESRCH);
  CHECK(fake.set_counters(s.key, key_of(dst("198.51.100.99", 1)), st, 0, 0, 0).error().code ==
        ENOENT);
}

TEST_CASE("fake: a backup sync daemon's default length follows the interface MTU", "[fake]") {
  FakeIpvs fake;
  fake.add_interface("eth1", 9000);
  REQUIRE(fake.start_sync_daemon({SyncState::backup, "eth1", 1, 0, std::nullopt, 0, 0}).ok());
  REQUIRE(fake.start_sync_daemon({SyncState::master, "eth1", 1, 0, std::nullopt, 0, 0}).ok());
  auto daemons = fake.sync_daemons();
  REQUIRE(daemons->size() == 2);
  for (const auto& d : *daemons)
    CHECK(d.max_len == (d.state == SyncState::backup ? 9000 - 28 : 1500 - 28));
}

TEST_CASE("fake: a kernel without a scheduler module refuses it with ENOENT", "[fake]") {
  FakeIpvs::Config config;
  config.schedulers = {"rr"};
  config.persistence_engines = {};
  FakeIpvs fake(config);
  Service s = svc("192.0.2.5", 25);
  s.scheduler = "mh";
  CHECK(fake.add_service(s).error().code == ENOENT);
  s.scheduler = "rr";
  s.pe_name = "sip";
  CHECK(fake.add_service(s).error().code == ENOENT);
}

TEST_CASE("fake: a fwmark service is stored and reported by family and mark only", "[fake]") {
  FakeIpvs fake;
  Service s;
  s.key.family = Family::inet;
  s.key.fwmark = 3;
  s.key.port = 80;  // ignored for a fwmark service
  s.key.protocol = Protocol::udp;
  s.scheduler = "rr";
  REQUIRE(fake.add_service(s).ok());
  auto list = fake.list_services();
  REQUIRE(list->size() == 1);
  CHECK(list->front().service.key == FakeIpvs::reported_key(s.key));
  CHECK(list->front().service.key.port == 0);
  // Found with or without the ignored fields.
  ServiceKey plain;
  plain.fwmark = 3;
  CHECK(fake.delete_service(plain).ok());
}
