#pragma once
// The process around the daemon core: opens the kernel backend, the control socket,
// signalfd and timerfd, and runs the one event loop until SIGTERM.
#include "daemon/log.h"
#include "daemon/options.h"

namespace lvsd {

// Exit statuses (daemon/README.md). 1 and 2 are StartFailure's values too.
inline constexpr int kExitStopped = 0;            // SIGTERM / SIGINT
inline constexpr int kExitInvalidDescriptor = 1;  // at start
inline constexpr int kExitStartFailed = 2;        // anything else that stops the start
inline constexpr int kExitLoopFailed = 3;         // the running loop broke, or an internal error

// Returns the process exit status.
int run(const CliOptions& options, Logger& log);

}  // namespace lvsd
