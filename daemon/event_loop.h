#pragma once
// The one epoll set the daemon waits on. Handlers run on the loop's thread; a handler
// may add or remove descriptors (its own too) while it runs.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>

#include "common/result.h"

namespace lvsd {

class EventLoop {
 public:
  using Handler = std::function<void(std::uint32_t events)>;

  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  [[nodiscard]] lvs::Status add(int fd, std::uint32_t events, Handler handler);
  [[nodiscard]] lvs::Status modify(int fd, std::uint32_t events);
  void remove(int fd);
  // Waits up to timeout_ms (-1: forever) and runs the handlers of ready descriptors.
  void run_once(int timeout_ms);
  std::size_t size() const { return handlers_.size(); }

 private:
  int epoll_fd_ = -1;
  // shared_ptr: a handler that removes itself stays alive until it returns.
  std::map<int, std::shared_ptr<Handler>> handlers_;
};

}  // namespace lvsd
