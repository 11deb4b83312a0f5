// The descriptor budget: the limit is raised to the hard one, and a warning names the
// numbers when even that is too low.
#include <sys/resource.h>

#include <catch2/catch.hpp>

#include "daemon/fd_limit.h"

TEST_CASE("fd limit: the soft limit is raised to the hard one") {
  rlimit saved{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
  if (saved.rlim_max > 256) {
    rlimit low{128, saved.rlim_max};
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
  }
  auto raised = lvsd::raise_fd_limit();
  rlimit now{};
  ::getrlimit(RLIMIT_NOFILE, &now);
  ::setrlimit(RLIMIT_NOFILE, &saved);
  REQUIRE(raised);
  CHECK(raised->soft == saved.rlim_max);
  CHECK(raised->hard == saved.rlim_max);
  CHECK(now.rlim_cur == saved.rlim_max);
}

TEST_CASE("fd limit: checks plus control slots plus the reserve must fit, else a warning names the numbers") {
  CHECK(lvsd::fd_needed(1000, 64) == 1000 + 64 + lvsd::kFdReserve);
  CHECK_FALSE(lvsd::fd_limit_warning(1000, 64, {1128, 4096}));
  auto w = lvsd::fd_limit_warning(1000, 64, {1024, 1024});
  REQUIRE(w);
  CHECK(*w ==
        "file descriptors: the limit is 1024 (hard 1024) but lvsd may need 1128 (1000 checks + 64 control clients "
        "+ 64 reserve); checks and lvsctl will fail when it runs out: raise LimitNOFILE= in the unit");
}
