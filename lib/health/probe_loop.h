#pragma once
// ProbeRunner: runs many probes at once over one epoll set, with their deadlines.
// The daemon nests fd() in its own epoll loop and calls dispatch(0) when it is readable
// or when next_deadline() passes; tests and `lvsctl check` call run_until_idle().
//
// Per probe it costs one epoll_ctl (edge-triggered, registered once; closing the socket
// removes it) and no allocation beyond the probe itself: probes live in reused slots and
// their deadlines in a binary heap whose stale entries are dropped when they surface.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "health/clock.h"
#include "health/probe.h"

namespace lvs::health {

// Slot index in the low 32 bits, the slot's generation above: an id is never reused.
using ProbeId = std::uint64_t;

class ProbeRunner {
 public:
  // The result is the runner's to give away: a callback may move it.
  using Done = std::function<void(ProbeId, ProbeResult&&)>;

  explicit ProbeRunner(const Clock& clock);
  ProbeRunner(const ProbeRunner&) = delete;
  ProbeRunner& operator=(const ProbeRunner&) = delete;
  ~ProbeRunner();

  int fd() const { return epoll_fd_; }
  // Takes a started probe; `done` runs from dispatch() once it finishes (never from
  // inside add(), even if the probe is already done).
  ProbeId add(std::unique_ptr<Probe>, Done done);
  // Drops a running probe without calling its callback (e.g. its check was removed).
  void cancel(ProbeId);
  std::size_t running() const { return slots_.size() - free_.size(); }
  std::optional<TimePoint> next_deadline() const;

  // Waits up to `max_wait_ms` (-1: until the next deadline) for readiness, drives the
  // probes that are ready or past their deadline, and calls the callbacks of those
  // that finished. Returns how many finished.
  std::size_t dispatch(int max_wait_ms);
  // dispatch() until no probe is left.
  void run_until_idle();

 private:
  struct Slot {
    std::unique_ptr<Probe> probe;  // null: the slot is free
    Done done;
    std::uint32_t generation = 0;
    bool finished = false;  // on finished_, callback pending
    TimePoint deadline;
    std::optional<ProbeResult> forced;  // set when the probe overran its deadline
  };
  struct Due {
    TimePoint at;
    ProbeId id;
    bool operator>(const Due& o) const { return at > o.at; }
  };
  Slot* find(ProbeId);
  void after_event(ProbeId, Slot&);
  void release(Slot&);
  void push_deadline(TimePoint, ProbeId);
  void drop_stale_deadlines() const;

  const Clock& clock_;
  int epoll_fd_ = -1;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;  // indexes of free slots
  mutable std::vector<Due> deadlines_;  // min-heap; entries of finished probes are stale
  std::vector<ProbeId> finished_;       // done, callbacks pending
};

}  // namespace lvs::health
