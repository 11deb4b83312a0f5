#pragma once
// The process around the daemon core: opens the kernel backend, the control socket,
// signalfd and timerfd, and runs the one event loop until SIGTERM.
#include "daemon/log.h"
#include "daemon/options.h"

namespace lvsd {

// Returns the process exit status (see daemon/README.md).
int run(const CliOptions& options, Logger& log);

}  // namespace lvsd
