#include "daemon/event_loop.h"

#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace lvsd {

EventLoop::EventLoop() {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
}

EventLoop::~EventLoop() { ::close(epoll_fd_); }

lvs::Status EventLoop::add(int fd, std::uint32_t events, Handler handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0)
    return lvs::Error{errno, "cannot watch descriptor " + std::to_string(fd)};
  handlers_[fd] = std::make_shared<Handler>(std::move(handler));
  return lvs::ok();
}

lvs::Status EventLoop::modify(int fd, std::uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) != 0)
    return lvs::Error{errno, "cannot change events of descriptor " + std::to_string(fd)};
  return lvs::ok();
}

void EventLoop::remove(int fd) {
  if (handlers_.erase(fd) != 0) ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
}

lvs::Result<std::size_t> EventLoop::run_once(int timeout_ms) {
  epoll_event events[64];
  int n = ::epoll_wait(epoll_fd_, events, 64, timeout_ms);
  if (n < 0) {
    if (errno == EINTR) return std::size_t{0};
    return lvs::Error{errno, "epoll_wait on descriptor " + std::to_string(epoll_fd_) + " failed"};
  }
  std::size_t ran = 0;
  for (int i = 0; i < n; ++i) {
    auto it = handlers_.find(events[i].data.fd);
    if (it == handlers_.end()) continue;  // removed by an earlier handler of this round
    std::shared_ptr<Handler> h = it->second;
    (*h)(events[i].events);
    ++ran;
  }
  return ran;
}

WakeTimer::WakeTimer() {
  fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "timerfd_create");
}

WakeTimer::~WakeTimer() { ::close(fd_); }

lvs::Status WakeTimer::arm(std::optional<lvs::health::TimePoint> at) {
  if (armed_ && *armed_ == at) return lvs::ok();
  armed_.reset();
  itimerspec its{};
  if (at) {
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(at->time_since_epoch()).count();
    if (ns <= 0) ns = 1;  // 0 would disarm
    its.it_value.tv_sec = static_cast<time_t>(ns / 1000000000);
    its.it_value.tv_nsec = static_cast<long>(ns % 1000000000);
  }
  // steady_clock is CLOCK_MONOTONIC: absolute deadlines carry over as they are.
  if (::timerfd_settime(fd_, TFD_TIMER_ABSTIME, &its, nullptr) != 0)
    return lvs::Error{errno, "timerfd_settime on descriptor " + std::to_string(fd_) + " failed"};
  armed_ = at;
  return lvs::ok();
}

void WakeTimer::fired() {
  std::uint64_t expirations = 0;
  [[maybe_unused]] auto n = ::read(fd_, &expirations, sizeof expirations);
  armed_.emplace(std::nullopt);  // a fired one-shot timer is disarmed
}

}  // namespace lvsd
