#include "daemon/notify.h"

#include <systemd/sd-daemon.h>

namespace lvsd {

void SdNotifier::ready() { sd_notify(0, "READY=1"); }
void SdNotifier::status(const std::string& line) { sd_notifyf(0, "STATUS=%s", line.c_str()); }
void SdNotifier::watchdog() { sd_notify(0, "WATCHDOG=1"); }
void SdNotifier::stopping() { sd_notify(0, "STOPPING=1"); }
void SdNotifier::reloading() { sd_notify(0, "RELOADING=1"); }

std::optional<std::chrono::microseconds> SdNotifier::watchdog_period() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec / 2);
}

}  // namespace lvsd
