#include "health/probe_loop.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <stdexcept>
#include <system_error>

namespace lvs::health {

ProbeRunner::ProbeRunner(const Clock& clock) : clock_(clock) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1 for the probe runner");
}

ProbeRunner::~ProbeRunner() {
  probes_.clear();
  ::close(epoll_fd_);
}

ProbeId ProbeRunner::add(std::unique_ptr<Probe> probe, Done done) {
  ProbeId id = next_id_++;
  auto& e = probes_[id];
  e.probe = std::move(probe);
  e.done = std::move(done);
  e.deadline = e.probe->deadline();
  if (e.probe->done()) {
    finished_.push_back(id);
  } else {
    deadlines_.insert({e.deadline, id});
    update(id, e);
  }
  return id;
}

void ProbeRunner::cancel(ProbeId id) {
  auto it = probes_.find(id);
  if (it == probes_.end()) return;
  forget(id, it->second);
  probes_.erase(it);
}

std::optional<TimePoint> ProbeRunner::next_deadline() const {
  if (!finished_.empty()) return clock_.now();
  if (deadlines_.empty()) return std::nullopt;
  return deadlines_.begin()->first;
}

void ProbeRunner::update(ProbeId id, Entry& e) {
  if (e.probe->done()) {
    forget(id, e);
    finished_.push_back(id);
    return;
  }
  if (e.probe->deadline() != e.deadline) {
    deadlines_.erase({e.deadline, id});
    e.deadline = e.probe->deadline();
    deadlines_.insert({e.deadline, id});
  }
  std::uint32_t want = e.probe->wanted_events();
  int fd = e.probe->fd();
  if (want == e.registered || fd < 0) return;
  epoll_event ev{};
  ev.events = want;
  ev.data.u64 = id;
  int op = e.registered == 0 ? EPOLL_CTL_ADD : (want == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD);
  if (::epoll_ctl(epoll_fd_, op, fd, &ev) == 0) e.registered = want;
  // A failure here leaves the probe to its deadline, which reports it.
}

void ProbeRunner::forget(ProbeId id, Entry& e) {
  deadlines_.erase({e.deadline, id});
  if (e.registered != 0 && e.probe->fd() >= 0) {
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, e.probe->fd(), nullptr);
    e.registered = 0;
  }
}

std::size_t ProbeRunner::dispatch(int max_wait_ms) {
  int wait_ms = max_wait_ms;
  if (!finished_.empty()) {
    wait_ms = 0;
  } else if (auto next = next_deadline()) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(*next - clock_.now()).count();
    left = std::max<decltype(left)>(left, 0);
    if (wait_ms < 0 || left < wait_ms) wait_ms = static_cast<int>(left);
  }
  epoll_event events[64];
  int n = ::epoll_wait(epoll_fd_, events, 64, wait_ms);
  TimePoint now = clock_.now();
  for (int i = 0; i < n; ++i) {
    auto it = probes_.find(events[i].data.u64);
    if (it == probes_.end()) continue;
    it->second.probe->on_ready(events[i].events, now);
    update(it->first, it->second);
  }
  // Expired deadlines: the probe writes its own timeout message.
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    ProbeId id = deadlines_.begin()->second;
    auto& e = probes_.at(id);
    e.probe->on_ready(0, now);
    if (!e.probe->done()) {
      // A probe must finish at its deadline; one that does not is ended here.
      ProbeResult forced = e.probe->result();
      forced.ok = false;
      forced.message = "probe did not finish at its deadline";
      e.forced = std::move(forced);
      forget(id, e);
      finished_.push_back(id);
      continue;
    }
    update(id, e);
  }
  // Callbacks last: they may add or cancel probes.
  std::vector<ProbeId> finished;
  finished.swap(finished_);
  std::size_t count = 0;
  for (ProbeId id : finished) {
    auto it = probes_.find(id);
    if (it == probes_.end()) continue;
    Entry entry = std::move(it->second);
    probes_.erase(it);
    ++count;
    if (entry.done) entry.done(id, entry.forced ? *entry.forced : entry.probe->result());
  }
  return count;
}

void ProbeRunner::run_until_idle() {
  while (!probes_.empty()) dispatch(-1);
}

}  // namespace lvs::health
