#include <catch2/catch.hpp>

#include "daemon/sysctl.h"
#include "harness.h"

TEST_CASE("sysctls: only differing values are written, and read back") {
  lvsd::test::FakeSysctl fake;
  lvs::model::IpvsSettings s;
  s.conn_reuse_mode = 2;
  auto out = lvsd::apply_sysctls(fake, lvsd::wanted_sysctls(s));
  CHECK(fake.writes == 3);
  for (const auto& o : out) {
    CHECK(o.error.empty());
    CHECK(o.current == o.wanted);
  }
  fake.writes = 0;
  out = lvsd::apply_sysctls(fake, lvsd::wanted_sysctls(s));
  CHECK(fake.writes == 0);
}

TEST_CASE("sysctls: a missing sysctl (no IPVS module) is reported, not fatal") {
  lvsd::test::FakeSysctl fake;
  fake.values.erase("expire_nodest_conn");
  auto out = lvsd::apply_sysctls(fake, lvsd::wanted_sysctls({}));
  REQUIRE(out.size() == 3);
  CHECK(out[1].name == "expire_nodest_conn");
  CHECK_FALSE(out[1].error.empty());
  CHECK(out[0].error.empty());
}
