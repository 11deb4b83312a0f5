#pragma once
// ProbeRunner: runs many probes at once over one epoll set, with their deadlines.
// The daemon nests fd() in its own epoll loop and calls dispatch(0) when it is readable
// or when next_deadline() passes; tests and `lvsctl check` call run_until_idle().
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "health/clock.h"
#include "health/probe.h"

namespace lvs::health {

using ProbeId = std::uint64_t;

class ProbeRunner {
 public:
  using Done = std::function<void(ProbeId, const ProbeResult&)>;

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
  std::size_t running() const { return probes_.size(); }
  std::optional<TimePoint> next_deadline() const;

  // Waits up to `max_wait_ms` (-1: until the next deadline) for readiness, drives the
  // probes that are ready or past their deadline, and calls the callbacks of those
  // that finished. Returns how many finished.
  std::size_t dispatch(int max_wait_ms);
  // dispatch() until no probe is left.
  void run_until_idle();

 private:
  struct Entry {
    std::unique_ptr<Probe> probe;
    Done done;
    std::uint32_t registered = 0;  // events in the epoll set; 0: not in it
    TimePoint deadline;
    std::optional<ProbeResult> forced;  // set when the probe overran its deadline
  };
  void update(ProbeId, Entry&);
  void forget(ProbeId, Entry&);

  const Clock& clock_;
  int epoll_fd_ = -1;
  ProbeId next_id_ = 1;
  std::map<ProbeId, Entry> probes_;
  std::set<std::pair<TimePoint, ProbeId>> deadlines_;
  std::vector<ProbeId> finished_;  // done, callbacks pending
};

}  // namespace lvs::health
