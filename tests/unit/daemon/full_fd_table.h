#pragma once
// Out of descriptors on demand, for the servers' accept-pause tests.
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <vector>

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

}  // namespace lvsd::test
