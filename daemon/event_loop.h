#pragma once
// The one epoll set the daemon waits on. Handlers run on the loop's thread; a handler
// may add or remove descriptors (its own too) while it runs.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "common/result.h"
#include "health/clock.h"

namespace lvsd {

class EventLoop {
 public:
  using Handler = std::function<void(std::uint32_t events)>;

  // Throws std::system_error when epoll_create1 fails (the runtime reports it).
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  [[nodiscard]] lvs::Status add(int fd, std::uint32_t events, Handler handler);
  [[nodiscard]] lvs::Status modify(int fd, std::uint32_t events);
  void remove(int fd);
  // Waits up to timeout_ms (-1: forever) and runs the handlers of ready descriptors;
  // returns how many ran. A signal interrupting the wait is not an error (0 ran); any
  // other failure of epoll_wait is, and the loop cannot go on.
  [[nodiscard]] lvs::Result<std::size_t> run_once(int timeout_ms);
  std::size_t size() const { return handlers_.size(); }
  int fd() const { return epoll_fd_; }

 private:
  int epoll_fd_ = -1;
  // shared_ptr: a handler that removes itself stays alive until it returns.
  std::map<int, std::shared_ptr<Handler>> handlers_;
};

// A timerfd on CLOCK_MONOTONIC (steady_clock) set to absolute deadlines: the loop's one
// wakeup for everything scheduled. Setting it to the time it already has is free.
class WakeTimer {
 public:
  // Throws std::system_error when timerfd_create fails (the runtime reports it).
  WakeTimer();
  ~WakeTimer();
  WakeTimer(const WakeTimer&) = delete;
  WakeTimer& operator=(const WakeTimer&) = delete;

  int fd() const { return fd_; }
  // Fires at `at` (nullopt: never). An error means the loop would miss its deadlines.
  [[nodiscard]] lvs::Status arm(std::optional<lvs::health::TimePoint> at);
  // After it fired: reads the expiry count, so the next arm() sets it again.
  void fired();

 private:
  int fd_ = -1;
  std::optional<std::optional<lvs::health::TimePoint>> armed_;  // outer nullopt: unknown
};

}  // namespace lvsd
