// The reconciler against the in-memory backend: apply, read back, diff again.
#include <catch2/catch.hpp>

#include <cerrno>

#include "support/ipvs_builders.h"
#include "ipvs/fake_ipvs.h"
#include "ipvs/reconcile_run.h"

using namespace lvs::ipvs;
using namespace lvs::ipvs::test;

namespace {

DesiredState mail_like() {
  DesiredState d;
  for (const char* vip : {"192.0.2.10", "192.0.2.20"}) {
    for (std::uint16_t port : {25, 110, 995}) {
      d.services.push_back({tcp_service(vip, port, "rr"),
                            {real("198.51.100.11", port), real("198.51.100.12", port)}});
    }
    for (std::uint16_t port : {143, 993}) {
      d.services.push_back({tcp_service(vip, port, "fo"),
                            {real("198.51.100.11", port, 100), real("198.51.100.12", port, 50)}});
    }
  }
  auto imap6 = tcp_service("2001:db8::10", 993, "rr");
  imap6.timeout_s = 900;
  imap6.netmask = 64;
  d.services.push_back({imap6, {real("2001:db8:1::11", 993), real("2001:db8:1::12", 993)}});
  Service fw;
  fw.key.family = Family::inet;
  fw.key.fwmark = 7;
  fw.scheduler = "sh";
  fw.flags = svc_flag::sched1 | svc_flag::sched2;
  auto tun = real("203.0.113.5", 0);
  tun.forward = Forward::tunnel;
  tun.tunnel_type = TunnelType::gue;
  tun.tunnel_port = 6080;
  tun.tunnel_flags = tun_flag::csum;
  auto dr = real("203.0.113.6", 0);
  dr.forward = Forward::droute;
  dr.upper_threshold = 1000;
  dr.lower_threshold = 100;
  d.services.push_back({fw, {tun, dr}});
  return d;
}

}  // namespace

TEST_CASE("reconcile: applying the same input twice yields an empty plan") {
  FakeIpvs fake;
  Ownership owned;
  auto want = mail_like();
  auto first = reconcile(fake, want, owned);
  REQUIRE(first.ok());
  REQUIRE(first->ok());
  CHECK(first->applied() == first->plan.operations.size());
  CHECK(owned.services.size() == want.services.size());

  auto table = fake.read_table();
  REQUIRE(table.ok());
  CHECK(diff(want, *table, owned).empty());

  fake.reset_writes();
  auto second = reconcile(fake, want, owned);
  REQUIRE(second.ok());
  CHECK(second->plan.empty());
  CHECK(fake.writes() == 0);
}

TEST_CASE("reconcile: a weight change is exactly one write") {
  FakeIpvs fake;
  Ownership owned;
  auto want = mail_like();
  REQUIRE(reconcile(fake, want, owned).ok());
  want.services[3].destinations[1].weight = 0;  // quiesce one real of IMAP
  fake.reset_writes();
  auto out = reconcile(fake, want, owned);
  REQUIRE(out.ok());
  REQUIRE(out->plan.operations.size() == 1);
  CHECK(std::holds_alternative<EditDest>(out->plan.operations[0]));
  CHECK(fake.writes() == 1);
  CHECK(diff(want, *fake.read_table(), owned).empty());
}

TEST_CASE("reconcile: a scheduler change keeps the service and its reals") {
  FakeIpvs fake;
  Ownership owned;
  auto want = mail_like();
  REQUIRE(reconcile(fake, want, owned).ok());
  want.services[3].service.scheduler = "rr";
  want.services[3].service.timeout_s = 1800;
  fake.reset_writes();
  auto out = reconcile(fake, want, owned);
  REQUIRE(out.ok());
  CHECK(out->plan.operations.size() == 1);
  CHECK(fake.writes() == 1);
  CHECK(diff(want, *fake.read_table(), owned).empty());
}

TEST_CASE("reconcile: removing a service deletes it; a foreign one survives unless pruned") {
  FakeIpvs fake;
  Ownership owned;
  auto want = mail_like();
  REQUIRE(reconcile(fake, want, owned).ok());
  auto foreign = tcp_service("192.0.2.99", 80, "wlc");
  REQUIRE(fake.add_service(foreign).ok());
  REQUIRE(fake.add_destination(foreign.key, real("198.51.100.80", 80)).ok());

  auto removed = want.services.back().service.key;
  want.services.pop_back();
  auto out = reconcile(fake, want, owned);
  REQUIRE(out.ok());
  CHECK(out->ok());
  CHECK_FALSE(owned.owns(removed));
  auto table = *fake.read_table();
  CHECK(table.services.size() == want.services.size() + 1);  // the foreign one stays

  ReconcileOptions prune;
  prune.diff.prune = true;
  auto pruned = reconcile(fake, want, owned, prune);
  REQUIRE(pruned.ok());
  CHECK(count(pruned->plan.operations).delete_service == 1);
  CHECK(fake.read_table()->services.size() == want.services.size());
}

TEST_CASE("reconcile: a failed add is not recorded as owned and is retried next time") {
  FakeIpvs fake;
  Ownership owned;
  DesiredState want{{DesiredService{tcp_service("192.0.2.10", 25), {real("198.51.100.11", 25)}}}};
  fake.fail_next_write(ENOMEM);
  auto out = reconcile(fake, want, owned);
  REQUIRE(out.ok());
  CHECK_FALSE(out->ok());
  REQUIRE_FALSE(out->outcomes.empty());
  CHECK_FALSE(out->outcomes[0].applied);
  REQUIRE(out->outcomes[0].error);
  CHECK(out->outcomes[0].error->code == ENOMEM);
  CHECK(owned.services.empty());

  auto again = reconcile(fake, want, owned);
  REQUIRE(again.ok());
  CHECK(again->ok());
  CHECK(owned.services.size() == 1);
  CHECK(diff(want, *fake.read_table(), owned).empty());
}

TEST_CASE("reconcile: a dry run plans but writes nothing and records nothing") {
  FakeIpvs fake;
  Ownership owned;
  ReconcileOptions dry;
  dry.dry_run = true;
  auto out = reconcile(fake, mail_like(), owned, dry);
  REQUIRE(out.ok());
  CHECK_FALSE(out->plan.empty());
  CHECK(fake.writes() == 0);
  CHECK(owned.services.empty());
}
