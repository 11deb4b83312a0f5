#pragma once
// CheckRegistry: one tracker per distinct check, however many services subscribe to it,
// and the scheduler that starts each check's probe when it is due. Identical checks of a
// real shared by several services (the research pool serves five ports with the same
// checks) therefore run once.
//
// Wakeups are shared: a check may start up to min(interval / 20, 1 s) after it is due,
// so the checks that fall due meanwhile start in the same wakeup, and their dialogues
// run side by side. That is within the interval's own jitter (10 % by default) and
// saves most wakeups at thousands of checks a minute. Never early.
//
// Reload: subscribe the new set before unsubscribing the old one, so trackers whose key
// did not change keep their state. The key holds every probe and tracker setting, so a
// changed setting makes a new tracker, which starts from its initial state.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>
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

  // Starts the probe of every check that is due and not running. Returns when to poll
  // next (nullopt when no check is waiting); the runner's deadlines come on top.
  std::optional<TimePoint> poll();

  // How late a check with this interval may start to share a wakeup.
  static Duration slack_for(std::chrono::milliseconds interval);

 private:
  struct Check {
    CheckKey key;
    Tracker tracker;
    std::uint64_t serial = 0;
    std::map<SubscriptionId, HealthListener> listeners;
    std::optional<ProbeId> running;
  };
  struct Due {
    TimePoint at;
    std::uint64_t serial;
    bool operator>(const Due& o) const { return at > o.at; }
  };
  void queue(Check&);
  void drop_stale();
  void on_result(Check&, ProbeResult&&);

  const Clock& clock_;
  Random& random_;
  ProbeRunner& runner_;
  ProbeFactory factory_;
  SubscriptionId next_id_ = 1;
  std::unordered_map<CheckKey, std::unique_ptr<Check>, CheckKeyHash> checks_;
  std::map<SubscriptionId, Check*> subscriptions_;
  // Checks waiting for their next run, as a min-heap on the due time. Entries whose check
  // is gone or running are stale and dropped when they reach the top.
  std::vector<Due> due_;
  std::unordered_map<std::uint64_t, Check*> by_serial_;
  std::uint64_t next_serial_ = 1;
};

}  // namespace lvs::health
