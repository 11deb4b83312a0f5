#include "daemon/listener_sweep.h"

#include <sys/epoll.h>

#include <cerrno>

namespace lvsd {

bool accept_should_pause(int error) {
  return error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM;
}

void AcceptPause::pause(lvs::health::TimePoint now) {
  loop_.remove(fd_);
  until_ = now + backoff_;
}

void AcceptPause::resume_if_due(lvs::health::TimePoint now, NextWake& next) {
  if (!until_) return;
  if (*until_ <= now) {
    if (loop_.add(fd_, EPOLLIN, on_ready_)) until_.reset();
    else until_ = now + backoff_;
  }
  if (until_) next.offer(*until_);
}

}  // namespace lvsd
