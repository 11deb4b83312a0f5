// The daemon's parts alone: drains, the table keeper, health bindings.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cerrno>
#include <set>
#include <cstdio>

#include "daemon/drains.h"
#include "daemon/health_bindings.h"
#include "daemon/table_keeper.h"
#include "harness.h"
#include "ipvs/fake_ipvs.h"

using namespace std::chrono_literals;
using lvsd::test::MemoryLog;
using lvsd::test::TempDir;
namespace ipvs = lvs::ipvs;
namespace health = lvs::health;

namespace {

ipvs::DestKey real_a() { return {*lvs::net::IpAddress::parse("203.0.113.81"), 25}; }

ipvs::DesiredState one_service(std::uint32_t weight) {
  ipvs::Service s;
  s.key.address = *lvs::net::IpAddress::parse("192.0.2.10");
  s.key.port = 25;
  s.scheduler = "rr";
  ipvs::Destination d;
  d.address = real_a().address;
  d.port = 25;
  d.weight = weight;
  return {{{s, {d}}}};
}

ipvs::DesiredService service_on(const char* vip, std::uint32_t weight) {
  ipvs::DesiredState one = one_service(weight);
  one.services[0].service.key.address = *lvs::net::IpAddress::parse(vip);
  return one.services[0];
}

ipvs::ServiceKey key_of(const char* vip) { return service_on(vip, 0).service.key; }

// The table in one order (by key), so the kept one compares with the kernel's.
ipvs::Table sorted(ipvs::Table t) {
  std::sort(t.services.begin(), t.services.end(), [](const ipvs::ServiceState& a, const ipvs::ServiceState& b) {
    return ipvs::normalized(a.service.key) < ipvs::normalized(b.service.key);
  });
  return t;
}

}  // namespace

TEST_CASE("drains: a drain is saved before it counts; an unwritable file changes nothing") {
  TempDir dir;
  MemoryLog log;
  lvsd::Drains drains(dir.file("admin.json"), log);
  REQUIRE(drains.load());
  auto set = drains.set({{"smtp", real_a()}}, true, 100, 0);
  REQUIRE(set);
  CHECK(*set == 1);
  CHECK(drains.word("smtp", real_a()) == "draining");

  lvsd::Drains elsewhere(dir.file("admin.json") + "/below-a-file.json", log);
  auto refused = elsewhere.set({{"smtp", real_a()}}, true, 100, 0);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("nothing changed") != std::string::npos);
  CHECK(elsewhere.state().drains.empty());
}

TEST_CASE("drains: a draining real is drained when its counts reach 0, or at its deadline with connections left") {
  TempDir dir;
  MemoryLog log;
  lvsd::Drains drains(dir.file("admin.json"), log);
  REQUIRE(drains.set({{"smtp", real_a()}, {"pop", real_a()}}, true, 100, 60));
  auto left = [](const lvsd::DrainEntry& d) -> std::optional<std::uint64_t> {
    return d.service == "smtp" ? 0u : 3u;
  };
  CHECK(drains.update(110, left));
  CHECK(drains.word("smtp", real_a()) == "drained");
  CHECK(drains.word("pop", real_a()) == "draining");
  CHECK(drains.any_draining());
  CHECK(drains.update(160, left));
  CHECK(drains.state().find("pop", real_a())->drained_note == "deadline passed with 3 connection(s) left");
  CHECK_FALSE(drains.any_draining());

  lvsd::Drains reread(dir.file("admin.json"), log);  // what a restart reads
  REQUIRE(reread.load());
  CHECK(reread.state() == drains.state());
}

TEST_CASE("table keeper: reconciles of a few services keep the whole table as the kernel has it: an edit, an add, a delete") {
  TempDir dir;
  MemoryLog log;
  ipvs::FakeIpvs fake;
  lvsd::test::ManualClock clock;
  lvsd::TableKeeper keeper(fake, clock, [] { return std::int64_t{0}; }, log, dir.file("owned.json"), 5000ms);
  REQUIRE(keeper.open());
  REQUIRE(keeper.read());
  keeper.reconcile({{service_on("192.0.2.1", 1), service_on("192.0.2.2", 1), service_on("192.0.2.3", 1)}});
  REQUIRE(keeper.last_reconcile().failed == 0);
  fake.reset_table_reads();
  auto only = [](const char* vip) { return std::set<ipvs::ServiceKey>{ipvs::normalized(key_of(vip))}; };

  auto edit = only("192.0.2.2");
  keeper.reconcile({{service_on("192.0.2.2", 0)}}, &edit);
  CHECK(keeper.last_reconcile().operations == 1);
  CHECK(sorted(keeper.observed()) == sorted(*fake.read_table()));
  REQUIRE(keeper.find(key_of("192.0.2.2"), real_a()));
  CHECK(keeper.find(key_of("192.0.2.2"), real_a())->dest.weight == 0);
  CHECK(keeper.find(key_of("192.0.2.1"), real_a())->dest.weight == 1);

  auto add = only("192.0.2.4");
  keeper.reconcile({{service_on("192.0.2.4", 1)}}, &add);
  CHECK(keeper.last_reconcile().operations == 2);
  CHECK(sorted(keeper.observed()) == sorted(*fake.read_table()));
  CHECK(keeper.find(key_of("192.0.2.4"), real_a()) != nullptr);

  auto remove = only("192.0.2.1");  // ours, and no longer wanted
  keeper.reconcile({}, &remove);
  CHECK(keeper.last_reconcile().failed == 0);
  CHECK(sorted(keeper.observed()) == sorted(*fake.read_table()));
  CHECK(keeper.find(key_of("192.0.2.1")) == nullptr);
  // The services after it moved up: each is still found where it is.
  for (const char* vip : {"192.0.2.2", "192.0.2.3", "192.0.2.4"}) {
    REQUIRE(keeper.find(key_of(vip)) != nullptr);
    CHECK(ipvs::normalized(keeper.find(key_of(vip))->service.key) == ipvs::normalized(key_of(vip)));
  }
  CHECK(fake.table_reads() == 3);  // the test's own reads: the keeper read nothing back
  CHECK(log.contains("ipvs: delete service tcp 192.0.2.1:25"));
}

TEST_CASE("table keeper: a failed operation is logged, reported and retried; the retry converges") {
  TempDir dir;
  MemoryLog log;
  ipvs::FakeIpvs fake;
  lvsd::test::ManualClock clock;
  lvsd::TableKeeper keeper(fake, clock, [] { return std::int64_t{1'800'000'000}; }, log, dir.file("owned.json"), 5000ms);
  REQUIRE(keeper.open());
  fake.fail_next_write(ENOMEM);
  keeper.reconcile(one_service(1));
  CHECK(keeper.last_reconcile().failed >= 1);
  CHECK(log.contains("errno 12"));
  REQUIRE(keeper.retry_at());
  keeper.reconcile(one_service(1));
  CHECK(keeper.last_reconcile().failed == 0);
  CHECK_FALSE(keeper.retry_at());
  CHECK(keeper.observed().services.size() == 1);
}

TEST_CASE("table keeper: timeouts are written only when they differ from the kernel's") {
  TempDir dir;
  MemoryLog log;
  ipvs::FakeIpvs fake;
  lvsd::test::ManualClock clock;
  lvsd::TableKeeper keeper(fake, clock, [] { return std::int64_t{0}; }, log, dir.file("owned.json"), 5000ms);
  keeper.apply_timeouts({900, 0, 0});  // the kernel's default already
  CHECK(fake.writes() == 0);
  keeper.apply_timeouts({1200, 0, 0});
  CHECK(fake.writes() == 1);
  CHECK(fake.timeouts()->tcp_s == 1200);
  CHECK(log.contains("ipvs: timeouts set"));
}

TEST_CASE("health bindings: the documented log line is the one lvsd writes for an edge") {
  health::CheckKey key;
  key.probe.type = health::ProbeType::smtp;
  key.probe.address = *lvs::net::IpAddress::parse("203.0.113.81");
  key.probe.port = 25;
  health::HealthEdge edge;
  edge.health = health::Health::down;
  edge.cause.message = "no greeting within 3 s";
  // daemon/README.md, "Logs": the line after its <4> level prefix.
  CHECK(lvsd::health_line(key, edge, "research/25") ==
        "health: smtp 203.0.113.81:25 down: no greeting within 3 s (research/25)");
}
