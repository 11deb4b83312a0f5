#pragma once
// What the servers' out-of-descriptors tests check first (with lvs::test::NoFreeDescriptors).
#include <catch2/catch.hpp>

#include "daemon/event_loop.h"

namespace lvsd::test {

// With a client queued and no descriptor free: one turn runs the listener (its accept
// fails), then the listener is out of the loop, so the loop does not spin on it.
inline void check_accept_paused(EventLoop& loop) {
  auto first = loop.run_once(10);
  REQUIRE(first);
  CHECK(*first == 1);
  for (int i = 0; i < 20; ++i) {
    auto ran = loop.run_once(0);
    REQUIRE(ran);
    CHECK(*ran == 0);
  }
}

}  // namespace lvsd::test
