// The one reconcile path: per-operation outcomes, and ownership decided by the table
// read back when the kernel's acknowledgement was lost.
#include <catch2/catch.hpp>

#include <cerrno>

#include "support/ipvs_builders.h"
#include "ipvs/fake_ipvs.h"
#include "ipvs/reconcile_run.h"

using namespace lvs::ipvs;
using namespace lvs::ipvs::test;

namespace {

auto delete_of(const ServiceKey& key) {
  return [key](const Operation& op) {
    const auto* d = std::get_if<DeleteService>(&op);
    return d && d->key == key;
  };
}

auto add_of(const ServiceKey& key) {
  return [key](const Operation& op) {
    const auto* a = std::get_if<AddService>(&op);
    return a && a->service.key == key;
  };
}

bool has(FakeIpvs& fake, const ServiceKey& key) {
  const Table table = fake.read_table().value();
  for (const auto& s : table.services)
    if (s.service.key == key) return true;
  return false;
}

const Service kSmtp = tcp_service("192.0.2.10", 25);
const Service kPop = tcp_service("192.0.2.10", 110);

DesiredState both() { return {{{kSmtp, {real("198.51.100.11", 25)}}, {kPop, {real("198.51.100.11", 110)}}}}; }
DesiredState smtp_only() { return {{{kSmtp, {real("198.51.100.11", 25)}}}}; }

}  // namespace

TEST_CASE("reconcile: a delete applied without its acknowledgement is settled by reading back and forgotten") {
  FakeIpvs fake;
  Ownership owned;
  REQUIRE(reconcile(fake, both(), owned)->ok());
  REQUIRE(owned.owns(kPop.key));

  fake.lose_ack_of(delete_of(kPop.key));
  auto out = reconcile(fake, smtp_only(), owned);
  REQUIRE(out);
  REQUIRE(out->after);  // the lost reply made it read the table back
  CHECK(out->ok());
  CHECK(out->outcomes.back().read_back);
  CHECK(out->outcomes.back().applied);
  CHECK_FALSE(owned.owns(kPop.key));

  // Someone else adds a service with that key: it is theirs and stays.
  REQUIRE(fake.add_service(tcp_service("192.0.2.10", 110, "wlc")));
  auto later = reconcile(fake, smtp_only(), owned);
  REQUIRE(later);
  CHECK(later->plan.empty());
  CHECK(later->plan.left_alone == std::vector<ServiceKey>{kPop.key});
  CHECK(has(fake, kPop.key));
}

TEST_CASE("reconcile: an add applied without its acknowledgement is owned, so dropping it from the descriptor deletes it") {
  FakeIpvs fake;
  Ownership owned;
  fake.lose_ack_of(add_of(kPop.key));
  auto out = reconcile(fake, both(), owned);
  REQUIRE(out);
  CHECK(out->ok());  // the table shows it: the add is counted as applied
  CHECK(owned.owns(kPop.key));

  auto removed = reconcile(fake, smtp_only(), owned);
  REQUIRE(removed);
  CHECK(removed->ok());
  CHECK_FALSE(has(fake, kPop.key));
  CHECK_FALSE(owned.owns(kPop.key));
}

TEST_CASE("reconcile: a delete the kernel refused keeps the key owned; one whose service is gone forgets it") {
  FakeIpvs fake;
  Ownership owned;
  const DesiredState pop_without_reals{{{kSmtp, {real("198.51.100.11", 25)}}, {kPop, {}}}};
  REQUIRE(reconcile(fake, pop_without_reals, owned)->ok());
  fake.fail_next_write(EPERM);  // the plan's one write: deleting pop
  auto refused = reconcile(fake, smtp_only(), owned);
  REQUIRE(refused);
  CHECK_FALSE(refused->ok());
  CHECK(owned.owns(kPop.key));
  CHECK(has(fake, kPop.key));

  REQUIRE(fake.delete_service(kPop.key));  // an operator removed it by hand
  auto gone = reconcile(fake, smtp_only(), owned);
  REQUIRE(gone);
  CHECK(gone->plan.empty());
  CHECK_FALSE(owned.owns(kPop.key));  // nothing is left there to own
  CHECK(gone->ownership_changed);
}

TEST_CASE("reconcile: a state folder that cannot be written changes nothing in the kernel") {
  FakeIpvs fake;
  Ownership owned;
  ReconcileOptions options;
  options.save = [](const Ownership&) -> lvs::Status { return lvs::make_error(EROFS, "write /state/owned.json"); };
  auto out = reconcile(fake, both(), owned, options);
  REQUIRE_FALSE(out);
  CHECK(out.error().code == EROFS);
  CHECK(fake.writes() == 0);
  CHECK(owned.services.empty());
}

TEST_CASE("reconcile: the record is saved once after a plan that changes it, and the outcome says when it fails") {
  FakeIpvs fake;
  Ownership owned;
  std::vector<Ownership> saved;
  bool fail_second = true;
  ReconcileOptions options;
  options.save = [&](const Ownership& o) -> lvs::Status {
    saved.push_back(o);
    if (saved.size() == 2 && fail_second) return lvs::make_error(ENOSPC, "write owned.json");
    return lvs::ok();
  };
  auto out = reconcile(fake, both(), owned, options);
  REQUIRE(out);
  REQUIRE(saved.size() == 2);  // before (proves it can be written) and after
  CHECK(saved[0].services.empty());
  REQUIRE(out->save_error);
  CHECK(out->save_error->code == ENOSPC);
  CHECK_FALSE(out->ok());
  CHECK(out->failed() == 0);
  CHECK(owned.services.size() == 2);
}

TEST_CASE("record_ownership: applied adds and deletes count, a failed one is decided by the table read back") {
  const auto a = tcp_service("192.0.2.10", 25);
  const auto b = tcp_service("192.0.2.10", 110);
  const auto c = tcp_service("192.0.2.10", 143);
  const auto d = tcp_service("192.0.2.10", 993);
  Plan plan;
  plan.operations = {AddService{a}, AddService{b}, DeleteService{c.key}, DeleteService{d.key}};
  const Table before{{observed(c, {}), observed(d, {})}};
  Ownership owned{{c.key, d.key}};
  std::vector<OperationOutcome> outcomes{
      {plan.operations[0], true, {}, false},
      {plan.operations[1], false, lvs::make_error(EEXIST, "add service"), false},
      {plan.operations[2], true, {}, false},
      {plan.operations[3], false, lvs::make_error(EPERM, "delete service"), false},
  };
  const Table after{{observed(a, {}), observed(b, {}), observed(d, {})}};
  CHECK(record_ownership(owned, before, plan, outcomes, &after));
  CHECK(owned.owns(a.key));
  CHECK(owned.owns(b.key));  // in the table and wanted: adopted
  CHECK_FALSE(owned.owns(c.key));
  CHECK(owned.owns(d.key));  // still there: still ours

  Ownership blind{{c.key, d.key}};
  outcomes[3].error = lvs::make_error(ENOBUFS, "delete service");
  record_ownership(blind, before, plan, outcomes, nullptr);
  CHECK_FALSE(blind.owns(b.key));  // no read-back: a failed add is not ours
  CHECK_FALSE(blind.owns(d.key));  // in doubt and unread: forgotten, never deleted as ours later
}

TEST_CASE("reconcile: from the caller's table, applied operations kept by apply_to() match the kernel") {
  FakeIpvs fake;
  Ownership owned;
  REQUIRE(reconcile(fake, both(), owned)->ok());
  Table kept = fake.read_table().value();
  fake.reset_table_reads();

  DesiredState want = both();
  want.services[0].destinations[0].weight = 0;                          // an edit
  want.services[1].destinations.push_back(real("198.51.100.12", 110));  // an add
  ReconcileOptions options;
  options.observed = &kept;
  auto out = reconcile(fake, want, owned, options);
  REQUIRE(out);
  CHECK(out->ok());
  CHECK(out->plan.operations.size() == 2);
  CHECK(fake.table_reads() == 0);
  CHECK_FALSE(out->after);
  for (const auto& o : out->outcomes) apply_to(kept, o.operation);
  CHECK(diff(want, kept, owned).empty());
  CHECK(diff(want, fake.read_table().value(), owned).empty());

  apply_to(kept, DeleteDest{kPop.key, {real("198.51.100.12", 110).address, 110}});
  apply_to(kept, DeleteService{kSmtp.key});
  REQUIRE(kept.services.size() == 1);
  CHECK(kept.services[0].destinations.size() == 1);
}

TEST_CASE("reconcile: from the caller's table, a refused operation reads the table back") {
  FakeIpvs fake;
  Ownership owned;
  REQUIRE(reconcile(fake, both(), owned)->ok());
  const Table kept = fake.read_table().value();
  fake.reset_table_reads();
  DesiredState want = both();
  want.services[0].destinations[0].weight = 0;
  fake.fail_next_write(EIO);
  ReconcileOptions options;
  options.observed = &kept;
  auto out = reconcile(fake, want, owned, options);
  REQUIRE(out);
  CHECK(out->failed() == 1);
  CHECK(fake.table_reads() == 1);
  REQUIRE(out->after);
  CHECK(*out->after == kept);  // nothing changed
}

TEST_CASE("reconcile: limited to some services, the others are neither planned for nor forgotten") {
  FakeIpvs fake;
  Ownership owned;
  REQUIRE(reconcile(fake, both(), owned)->ok());
  const Table kept = fake.read_table().value();
  REQUIRE(owned.owns(kPop.key));

  DesiredState want = smtp_only();
  want.services[0].destinations[0].weight = 0;
  const std::set<ServiceKey> only{normalized(kSmtp.key)};
  ReconcileOptions options;
  options.observed = &kept;
  options.only = &only;
  auto out = reconcile(fake, want, owned, options);  // kPop is absent from `want` but out of scope
  REQUIRE(out);
  CHECK(out->ok());
  REQUIRE(out->plan.operations.size() == 1);
  CHECK(std::holds_alternative<EditDest>(out->plan.operations[0]));
  CHECK(owned.owns(kPop.key));
  CHECK(owned.owns(kSmtp.key));
  CHECK(has(fake, kPop.key));
}

TEST_CASE("reconcile: apply_to() of a batch adds, deletes and adds again in order") {
  Table t;
  const Destination a = real("198.51.100.11", 25), b = real("198.51.100.12", 25);
  apply_to(t, std::vector<Operation>{AddService{kSmtp}, AddDest{kSmtp.key, a}, AddService{kPop}, DeleteService{kSmtp.key},
                                     AddService{kSmtp}, AddDest{kSmtp.key, b}, AddDest{kPop.key, a}});
  REQUIRE(t.services.size() == 2);
  CHECK(t.services[0].service.key == kPop.key);
  CHECK(t.services[0].destinations.size() == 1);
  CHECK(t.services[1].service.key == kSmtp.key);  // the second add: only b
  REQUIRE(t.services[1].destinations.size() == 1);
  CHECK(key_of(t.services[1].destinations[0].dest) == key_of(b));
}
