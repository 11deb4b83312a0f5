#pragma once
// The daemon's retirements part: services a reload (or a restart) removed from the
// descriptor that lvsd owns and that still carry connections. Deleting such a service
// would break every session in flight through it, so it is kept with every real at
// weight 0 (no new connections) until its connections end or its deadline passes, and
// only then left out of the desired state, so the next reconcile deletes it.
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "daemon/log.h"
#include "ipvs/ownership.h"
#include "ipvs/reconcile.h"

namespace lvsd {

struct Retiring {
  lvs::ipvs::DesiredService service;  // as the kernel had it, every real at weight 0
  std::int64_t since = 0;             // wall clock, unix seconds
  std::uint32_t deadline_s = 0;       // deleted this long after `since` whatever is left
  std::uint64_t connections = 0;      // active + inactive, as last read
};

class Retirements {
 public:
  explicit Retirements(Logger& log) : log_(log) {}

  // After a load of the descriptor: each owned service of `observed` that `wanted` (the
  // descriptor's keys, normalized) lacks and that still has connections starts retiring;
  // a retiring service the descriptor has again is normal again. True when any changed.
  bool follow(const lvs::ipvs::Table& observed, const lvs::ipvs::Ownership& owned,
              const std::set<lvs::ipvs::ServiceKey>& wanted, std::int64_t now, std::uint32_t deadline_s);

  // Appends the retiring services (every real weight 0) to a whole desired state.
  void add_to(lvs::ipvs::DesiredState& desired) const;

  // Connections a retiring service still has; nullopt while its weights 0 have not
  // reached the kernel.
  using ConnectionsLeft = std::function<std::optional<std::uint64_t>(const Retiring&)>;
  // Ends each retirement with no connections left or past its deadline (logged). True
  // when any ended: the next whole reconcile deletes those services.
  bool update(std::int64_t now, const ConnectionsLeft& left);

  bool empty() const { return list_.empty(); }
  const std::vector<Retiring>& list() const { return list_; }
  std::set<lvs::ipvs::ServiceKey> keys() const;

 private:
  Logger& log_;
  std::vector<Retiring> list_;
};

// Active plus inactive connections of a service's reals (persistence templates aside:
// they expire by themselves with expire_quiescent_template).
std::uint64_t connections_of(const lvs::ipvs::ServiceState& s);

}  // namespace lvsd
