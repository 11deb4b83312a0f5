#pragma once
// Out of descriptors on demand, for the servers' accept-pause tests, and what those
// tests check first.
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <vector>

#include "daemon/event_loop.h"

namespace lvsd::test {

// Lowers the soft descriptor limit and fills the table up to it; undoes both on exit.
struct FullFdTable {
  rlimit saved{};
  std::vector<int> fds;  // the first one is the /dev/null the others duplicate
  FullFdTable() {
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
    const int base = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    REQUIRE(base >= 0);
    fds.push_back(base);
    rlimit low{static_cast<rlim_t>(base + 64), saved.rlim_max};
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
    for (int i = 0; i < 4096; ++i) {
      int fd = ::fcntl(base, F_DUPFD_CLOEXEC, 0);
      if (fd < 0) break;
      fds.push_back(fd);
    }
  }
  void release() {
    for (int fd : fds) ::close(fd);
    fds.clear();
    ::setrlimit(RLIMIT_NOFILE, &saved);
  }
  ~FullFdTable() { release(); }
  FullFdTable(const FullFdTable&) = delete;
  FullFdTable& operator=(const FullFdTable&) = delete;
};

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
