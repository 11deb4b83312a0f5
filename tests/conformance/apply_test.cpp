// Conformance: apply() runs every operation in order, keeps going after a failure and
// accounts for each one.
#include <cerrno>

#include "conformance.h"

using namespace lvs::ipvs;
using namespace lvs::conformance;

TEST_CASE("conformance: apply with failures in the middle reports each and applies the rest",
          "[conformance][apply]") {
  auto be = fresh_backend();
  Service a = service(Protocol::tcp, "192.0.2.150", 25, "rr");
  Service b = service(Protocol::tcp, "2001:db8::150", 25, "rr");
  Destination a1 = real("198.51.100.151", 25, 1);
  Destination a2 = real("198.51.100.152", 25, 2);
  Destination b1 = real("2001:db8:1::151", 25, 3);
  Service a_edited = a;
  a_edited.scheduler = "wlc";

  std::vector<Operation> plan = {
      AddService{a},                                      // 0 ok
      AddDest{a.key, a1},                                 // 1 ok
      AddService{a},                                      // 2 EEXIST
      AddDest{a.key, a2},                                 // 3 ok
      EditDest{a.key, real("198.51.100.159", 25)},        // 4 ENOENT
      AddService{b},                                      // 5 ok
      AddDest{b.key, b1},                                 // 6 ok
      DeleteService{fwmark_service(Family::inet, 150).key},  // 7 ESRCH
      AddDest{b.key, real("198.51.100.153", 25)},         // 8 EINVAL (family, not tunnel)
      EditService{a_edited},                              // 9 ok
  };
  ApplyResult r = be->apply(plan);

  CHECK(r.applied == std::vector<bool>{true, true, false, true, false, true, true, false, false,
                                        true});
  CHECK(r.applied_count() == 6);
  CHECK_FALSE(r.ok());
  REQUIRE(r.failed_indices == std::vector<std::size_t>{2, 4, 7, 8});
  REQUIRE(r.errors.size() == 4);
  CHECK(errno_name(r.errors[0].code) == errno_name(EEXIST));
  CHECK(errno_name(r.errors[1].code) == errno_name(ENOENT));
  CHECK(errno_name(r.errors[2].code) == errno_name(ESRCH));
  CHECK(errno_name(r.errors[3].code) == errno_name(EINVAL));
  for (const auto& e : r.errors) CHECK_FALSE(e.message.empty());

  CHECK(services_of(*be) == sorted({a_edited, b}));
  CHECK(dests_of(*be, a.key) == sorted({a1, a2}));
  CHECK(dests_of(*be, b.key) == std::vector<Destination>{b1});
}

TEST_CASE("conformance: apply of an empty plan succeeds and changes nothing",
          "[conformance][apply]") {
  auto be = fresh_backend();
  ApplyResult r = be->apply({});
  CHECK(r.ok());
  CHECK(r.applied.empty());
  CHECK(services_of(*be).empty());
}

TEST_CASE("conformance: apply runs operations in order, so later ones see earlier ones",
          "[conformance][apply]") {
  auto be = fresh_backend();
  Service s = service(Protocol::udp, "192.0.2.160", 53, "rr");
  Destination d = real("198.51.100.160", 53, 1);
  Destination d_edit = d;
  d_edit.weight = 0;
  std::vector<Operation> plan = {
      AddService{s},       AddDest{s.key, d},   EditDest{s.key, d_edit},
      DeleteDest{s.key, key_of(d)}, DeleteService{s.key}, AddService{s},
  };
  ApplyResult r = be->apply(plan);
  INFO((r.errors.empty() ? std::string() : r.errors.front().describe()));
  CHECK(r.ok());
  CHECK(r.applied == std::vector<bool>(plan.size(), true));
  CHECK(services_of(*be) == std::vector<Service>{s});
  CHECK(dests_of(*be, s.key).empty());
}

TEST_CASE("conformance: a large plan is applied completely", "[conformance][apply]") {
  auto be = fresh_backend();
  std::vector<Operation> plan;
  std::vector<Service> services;
  for (int i = 0; i < 200; ++i) {
    Service s = service(Protocol::tcp, "192.0.2.170", static_cast<std::uint16_t>(1000 + i), "rr");
    services.push_back(s);
    plan.push_back(AddService{s});
    for (int j = 1; j <= 4; ++j)
      plan.push_back(AddDest{s.key, real("198.51.100." + std::to_string(j), s.key.port,
                                         static_cast<std::uint32_t>(j))});
  }
  ApplyResult r = be->apply(plan);
  INFO((r.errors.empty() ? std::string() : r.errors.front().describe()));
  CHECK(r.ok());
  CHECK(r.applied_count() == plan.size());
  auto t = sorted_table(*be);
  REQUIRE(t.services.size() == services.size());
  for (const auto& st : t.services) CHECK(st.destinations.size() == 4);
}

TEST_CASE("conformance: apply reports a refused service and the reals that then had no service",
          "[conformance][apply]") {
  auto be = fresh_backend();
  Service bad = service(Protocol::tcp, "192.0.2.180", 25, "nosuchsched");
  Service good = service(Protocol::tcp, "192.0.2.180", 110, "rr");
  Destination r = real("198.51.100.180", 25);
  std::vector<Operation> plan = {
      AddService{bad},          // 0 ENOENT: no such scheduler
      AddDest{bad.key, r},      // 1 ESRCH: its service was never added
      AddService{good},         // 2 ok
      AddDest{good.key, r},     // 3 ok
      DeleteDest{bad.key, key_of(r)},  // 4 ESRCH
  };
  ApplyResult r_all = be->apply(plan);
  CHECK(r_all.applied == std::vector<bool>{false, false, true, true, false});
  REQUIRE(r_all.failed_indices == std::vector<std::size_t>{0, 1, 4});
  CHECK(errno_name(r_all.errors[0].code) == errno_name(ENOENT));
  CHECK(errno_name(r_all.errors[1].code) == errno_name(ESRCH));
  CHECK(errno_name(r_all.errors[2].code) == errno_name(ESRCH));
  CHECK(services_of(*be) == std::vector<Service>{good});
  CHECK(dests_of(*be, good.key) == std::vector<Destination>{r});
}
