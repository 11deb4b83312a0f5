#pragma once
// CheckRegistry: one tracker per distinct check, however many services subscribe to it,
// and the scheduler that starts each check's probe when it is due. Identical checks of a
// real shared by several services (the research pool serves five ports with the same
// checks) therefore run once.
//
// Reload: subscribe the new set before unsubscribing the old one, so trackers whose key
// did not change keep their state. The key holds every probe and tracker setting, so a
// changed setting makes a new tracker, which starts from its initial state.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>

#include "health/probe_config.h"
#include "health/probe_loop.h"
#include "health/tracker.h"

namespace lvs::health {

struct CheckKey {
  ProbeConfig probe;
  TrackerSettings tracking;
  bool operator==(const CheckKey&) const = default;
};

struct CheckKeyHash {
  std::size_t operator()(const CheckKey& k) const;
};

using SubscriptionId = std::uint64_t;
// Called on health edges only.
using HealthListener = std::function<void(const CheckKey&, const HealthEdge&)>;

class CheckRegistry {
 public:
  CheckRegistry(const Clock&, Random&, ProbeRunner&, ProbeFactory);
  CheckRegistry(const CheckRegistry&) = delete;
  CheckRegistry& operator=(const CheckRegistry&) = delete;
  ~CheckRegistry();

  SubscriptionId subscribe(const CheckKey&, HealthListener);
  // The last subscriber leaving removes the tracker and cancels its running probe.
  void unsubscribe(SubscriptionId);

  std::size_t check_count() const { return checks_.size(); }
  // For status; nullptr when nobody subscribes to this key.
  const Tracker* tracker(const CheckKey&) const;

  // Starts the probe of every check that is due and not running. Returns when the next
  // check is due (nullopt when there are none); the runner's deadlines come on top.
  std::optional<TimePoint> poll();

 private:
  struct Check {
    CheckKey key;
    Tracker tracker;
    std::map<SubscriptionId, HealthListener> listeners;
    std::optional<ProbeId> running;
  };
  void on_result(Check&, const ProbeResult&);

  const Clock& clock_;
  Random& random_;
  ProbeRunner& runner_;
  ProbeFactory factory_;
  SubscriptionId next_id_ = 1;
  std::unordered_map<CheckKey, std::unique_ptr<Check>, CheckKeyHash> checks_;
  std::map<SubscriptionId, Check*> subscriptions_;
  std::set<std::pair<TimePoint, Check*>> due_;  // checks not running, by next due time
};

}  // namespace lvs::health
