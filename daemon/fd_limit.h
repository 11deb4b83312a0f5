#pragma once
// File descriptors: lvsd raises its soft RLIMIT_NOFILE to the hard limit at start and
// warns, naming the numbers, when even that is less than it may need (daemon/README.md,
// "File descriptors"). Running out later would fail checks and refuse lvsctl.
#include <sys/resource.h>

#include <cstddef>
#include <optional>
#include <string>

#include "common/result.h"

namespace lvsd {

// Own descriptors (stdio, epoll sets, signalfd, timerfd, netlink, lock and state
// files, the listener) and the probes of `lvsctl check`, with room to spare.
inline constexpr std::size_t kFdReserve = 64;

// Every check may have its probe's socket open at once, every control slot a client.
constexpr std::size_t fd_needed(std::size_t checks, std::size_t control_clients) {
  return checks + control_clients + kFdReserve;
}

struct FdLimit {
  rlim_t soft = 0;
  rlim_t hard = 0;
};

// Raises the soft limit to the hard one; returns the limits now in force.
[[nodiscard]] lvs::Result<FdLimit> raise_fd_limit();

// The warning to log when `soft` is below what `checks` and `control_clients` need.
std::optional<std::string> fd_limit_warning(std::size_t checks, std::size_t control_clients, const FdLimit& limit);

}  // namespace lvsd
