// The probes' namespace is opened at start; one that cannot be opened is an error that
// names it, never a silent fallback to the host's namespace.
#include <catch2/catch.hpp>

#include "daemon/probe_netns.h"

TEST_CASE("probe netns: a namespace that does not exist is an error naming it") {
  auto ns = lvsd::ProbeNetns::open("lvs-test-no-such-ns");
  REQUIRE_FALSE(ns);
  CHECK(ns.error().code == ENOENT);
  CHECK(ns.error().message ==
        "network namespace 'lvs-test-no-such-ns' does not exist (/run/netns/lvs-test-no-such-ns; create it with "
        "`ip netns add lvs-test-no-such-ns`)");
}

TEST_CASE("probe netns: a name that is a path is refused") {
  auto ns = lvsd::ProbeNetns::open("../etc");
  REQUIRE_FALSE(ns);
  CHECK(ns.error().code == EINVAL);
}

TEST_CASE("probe netns: a check that cannot be started is a failed probe, already done") {
  const auto now = std::chrono::steady_clock::now();
  auto probe = lvsd::failed_probe("cannot enter network namespace 'x'", now);
  CHECK(probe->done());
  CHECK(probe->fd() == -1);
  CHECK_FALSE(probe->result().ok);
  CHECK(probe->result().message == "cannot enter network namespace 'x'");
}
