#include "health/probe_loop.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <functional>
#include <system_error>

namespace lvs::health {

namespace {
std::uint32_t slot_of(ProbeId id) { return static_cast<std::uint32_t>(id); }
std::uint32_t generation_of(ProbeId id) { return static_cast<std::uint32_t>(id >> 32); }
ProbeId make_id(std::uint32_t slot, std::uint32_t generation) {
  return (static_cast<ProbeId>(generation) << 32) | slot;
}
}  // namespace

ProbeRunner::ProbeRunner(const Clock& clock) : clock_(clock) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1 for the probe runner");
}

ProbeRunner::~ProbeRunner() {
  slots_.clear();
  ::close(epoll_fd_);
}

ProbeRunner::Slot* ProbeRunner::find(ProbeId id) {
  std::uint32_t i = slot_of(id);
  if (i >= slots_.size()) return nullptr;
  Slot& s = slots_[i];
  if (!s.probe || s.generation != generation_of(id)) return nullptr;
  return &s;
}

ProbeId ProbeRunner::add(std::unique_ptr<Probe> probe, Done done) {
  std::uint32_t i;
  if (!free_.empty()) {
    i = free_.back();
    free_.pop_back();
  } else {
    i = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[i];
  ++s.generation;
  ProbeId id = make_id(i, s.generation);
  s.probe = std::move(probe);
  s.done = std::move(done);
  s.finished = false;
  s.forced.reset();
  s.deadline = s.probe->deadline();
  if (s.probe->done()) {
    s.finished = true;
    finished_.push_back(id);
    return id;
  }
  push_deadline(s.deadline, id);
  if (int fd = s.probe->fd(); fd >= 0) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.u64 = id;
    // A failure here leaves the probe to its deadline, which reports it.
    (void)::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  }
  return id;
}

void ProbeRunner::release(Slot& s) {
  // Destroying the probe closes its socket, which takes it out of the epoll set.
  s.probe.reset();
  s.done = nullptr;
  s.forced.reset();
  s.finished = false;
  free_.push_back(static_cast<std::uint32_t>(&s - slots_.data()));
}

void ProbeRunner::push_deadline(TimePoint at, ProbeId id) {
  deadlines_.push_back({at, id});
  std::push_heap(deadlines_.begin(), deadlines_.end(), std::greater<>{});
}

void ProbeRunner::cancel(ProbeId id) {
  if (Slot* s = find(id)) release(*s);
}

void ProbeRunner::drop_stale_deadlines() const {
  auto stale = [this](const Due& d) {
    std::uint32_t i = slot_of(d.id);
    const Slot& s = slots_[i];
    return !s.probe || s.finished || s.generation != generation_of(d.id) || s.deadline != d.at;
  };
  while (!deadlines_.empty() && stale(deadlines_.front())) {
    std::pop_heap(deadlines_.begin(), deadlines_.end(), std::greater<>{});
    deadlines_.pop_back();
  }
}

std::optional<TimePoint> ProbeRunner::next_deadline() const {
  if (!finished_.empty()) return clock_.now();
  drop_stale_deadlines();
  if (deadlines_.empty()) return std::nullopt;
  return deadlines_.front().at;
}

void ProbeRunner::after_event(ProbeId id, Slot& s) {
  if (s.probe->done()) {
    s.finished = true;
    finished_.push_back(id);
    return;
  }
  if (s.probe->deadline() != s.deadline) {
    s.deadline = s.probe->deadline();
    push_deadline(s.deadline, id);
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
  // Every ready socket is driven before any deadline is judged: a probe whose answer is
  // waiting must not be timed out because more than one batch of events was ready (after
  // the loop was busy, thousands can be).
  constexpr int kBatch = 256;
  epoll_event events[kBatch];
  int n = ::epoll_wait(epoll_fd_, events, kBatch, wait_ms);
  TimePoint now = clock_.now();
  for (int round = 0; n > 0; ++round) {
    for (int i = 0; i < n; ++i) {
      ProbeId id = events[i].data.u64;
      Slot* s = find(id);
      if (!s || s->finished) continue;
      s->probe->on_ready(events[i].events, now);
      after_event(id, *s);
    }
    // A bounded number of further rounds; edge-triggered events left over stay queued.
    if (n < kBatch || round >= 64) break;
    n = ::epoll_wait(epoll_fd_, events, kBatch, 0);
  }
  // Expired deadlines: the probe writes its own timeout message.
  for (;;) {
    drop_stale_deadlines();
    if (deadlines_.empty() || deadlines_.front().at > now) break;
    ProbeId id = deadlines_.front().id;
    std::pop_heap(deadlines_.begin(), deadlines_.end(), std::greater<>{});
    deadlines_.pop_back();
    Slot& s = slots_[slot_of(id)];
    s.probe->on_ready(0, now);
    if (!s.probe->done()) {
      // A probe must finish at its deadline; one that does not is ended here.
      ProbeResult forced = s.probe->result();
      forced.ok = false;
      forced.reason = FailureReason::timeout;
      forced.message = "probe did not finish at its deadline";
      s.forced = std::move(forced);
      s.finished = true;
      finished_.push_back(id);
      continue;
    }
    after_event(id, s);
  }
  // Callbacks last: they may add or cancel probes.
  std::vector<ProbeId> finished;
  finished.swap(finished_);
  std::size_t count = 0;
  for (ProbeId id : finished) {
    Slot* s = find(id);
    if (!s) continue;  // cancelled by an earlier callback
    Done done = std::move(s->done);
    ProbeResult result = s->forced ? std::move(*s->forced) : s->probe->take_result();
    release(*s);
    ++count;
    if (done) done(id, std::move(result));
  }
  // Keep the vector's capacity for the next round.
  if (finished_.empty()) {
    finished.clear();
    finished_.swap(finished);
  }
  return count;
}

void ProbeRunner::run_until_idle() {
  while (running() > 0) dispatch(-1);
}

}  // namespace lvs::health
