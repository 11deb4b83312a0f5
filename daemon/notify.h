#pragma once
// The service manager's side channel (sd_notify): READY, STATUS, WATCHDOG, STOPPING.
// An interface so the daemon core and tests do not depend on systemd being there.
#include <chrono>
#include <optional>
#include <string>

namespace lvsd {

class Notifier {
 public:
  virtual ~Notifier() = default;
  virtual void ready() = 0;
  virtual void status(const std::string& line) = 0;
  virtual void watchdog() = 0;
  virtual void stopping() = 0;
  virtual void reloading() = 0;
};

// libsystemd; every call is a no-op when NOTIFY_SOCKET is not set.
class SdNotifier final : public Notifier {
 public:
  void ready() override;
  void status(const std::string& line) override;
  void watchdog() override;
  void stopping() override;
  void reloading() override;
  // Half of WATCHDOG_USEC when the watchdog is on for this process.
  static std::optional<std::chrono::microseconds> watchdog_period();
};

}  // namespace lvsd
