#pragma once
// The daemon's retirements part: services a reload (or a restart) removed from the
// descriptor that lvsd owns and that still carry connections, and reals removed from a
// service that stays. Deleting one would break every session in flight through it, so
// it is kept at weight 0 (no new connections) until its connections end or its deadline
// passes, and only then left out of the desired state, so the next reconcile deletes it.
#include <map>
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
  std::set<lvs::ipvs::DestKey> serving;  // reals it had at weight > 0
};

// A real a reload removed from a service the descriptor still has.
struct RetiringReal {
  lvs::ipvs::ServiceKey service;  // normalized
  lvs::ipvs::Destination dest;    // as the kernel had it, weight 0
  std::int64_t since = 0;
  std::uint32_t deadline_s = 0;
  std::uint64_t connections = 0;
  bool serving = false;  // it had weight > 0
};

// The descriptor's services (normalized keys) and, for each, every real it may list
// (reals and sorry reals).
using WantedServices = std::map<lvs::ipvs::ServiceKey, std::set<lvs::ipvs::DestKey>>;

class Retirements {
 public:
  explicit Retirements(Logger& log) : log_(log) {}

  // After a load of the descriptor: each owned service of `observed` that `wanted`
  // lacks and that still has connections starts retiring, and so does each real with
  // connections of an owned service `wanted` keeps without that real; a retiring
  // service or real the descriptor has again is normal again. True when any changed.
  bool follow(const lvs::ipvs::Table& observed, const lvs::ipvs::Ownership& owned, const WantedServices& wanted,
              std::int64_t now, std::uint32_t deadline_s);

  // Appends the retiring services (every real weight 0) to a whole desired state.
  void add_services_to(lvs::ipvs::DesiredState& desired) const;
  // Appends each retiring real (weight 0) to its service where `desired` has it.
  void add_reals_to(lvs::ipvs::DesiredState& desired) const;

  // Connections a retiring service still has; nullopt while its weights 0 have not
  // reached the kernel.
  using ConnectionsLeft = std::function<std::optional<std::uint64_t>(const Retiring&)>;
  // Ends each retirement with no connections left or past its deadline (logged). True
  // when any ended: the next whole reconcile deletes those services.
  using RealConnectionsLeft = std::function<std::optional<std::uint64_t>(const RetiringReal&)>;
  bool update(std::int64_t now, const ConnectionsLeft& left, const RealConnectionsLeft& real_left);

  bool empty() const { return list_.empty() && reals_.empty(); }
  const std::vector<Retiring>& list() const { return list_; }
  const std::vector<RetiringReal>& reals() const { return reals_; }
  // The real had weight > 0 when it began retiring: back in the descriptor, its check
  // starts up, as a restart's does for a serving real, so its weight comes back at once.
  bool was_serving(const lvs::ipvs::ServiceKey& service, const lvs::ipvs::DestKey& real) const;
  // The services to read counts of: retiring ones and those with a retiring real.
  std::set<lvs::ipvs::ServiceKey> keys() const;

 private:
  Logger& log_;
  std::vector<Retiring> list_;
  std::vector<RetiringReal> reals_;
};

// Active plus inactive connections of a real, or of all a service's reals (persistence
// templates aside: they expire by themselves with expire_quiescent_template).
std::uint64_t connections_of(const lvs::ipvs::DestinationState& d);
std::uint64_t connections_of(const lvs::ipvs::ServiceState& s);

}  // namespace lvsd
