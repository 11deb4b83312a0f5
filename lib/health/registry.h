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
#include <string>
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

// A shortage on this host (out of descriptors or memory) that kept checks from running.
// Such results are the balancer's fault, not the reals': they never reach the tracker,
// the check is retried soon, and every real keeps its health. The listener hears an
// episode twice, when it starts and when it is over, however many checks it hit, so
// the daemon can log it once instead of once per check per interval.
struct ShortageEpisode {
  bool ongoing = false;       // true: it just started; false: it is over
  std::string first_message;  // the first result of the episode, e.g. "... Too many open files"
  std::uint64_t retried = 0;  // checks put off in the episode so far
};
using ShortageListener = std::function<void(const ShortageEpisode&)>;
// Hears every result of a scheduled check that reaches its tracker (not those put off for
// a shortage), before it is counted: for metrics such as latency and failure reasons.
using ResultObserver = std::function<void(const CheckKey&, const ProbeResult&)>;

class CheckRegistry {
 public:
  CheckRegistry(const Clock&, Random&, ProbeRunner&, ProbeFactory, ShortageListener = {});
  CheckRegistry(const CheckRegistry&) = delete;
  CheckRegistry& operator=(const CheckRegistry&) = delete;
  ~CheckRegistry();

  SubscriptionId subscribe(const CheckKey&, HealthListener);
  // The last subscriber leaving removes the tracker and cancels its running probe.
  void unsubscribe(SubscriptionId);

  std::size_t check_count() const { return checks_.size(); }
  void set_result_observer(ResultObserver observer) { result_observer_ = std::move(observer); }
  // For status; nullptr when nobody subscribes to this key.
  const Tracker* tracker(const CheckKey&) const;

  // Starts the probe of every check that is due and not running. Returns when to poll
  // next (nullopt when no check is waiting); the runner's deadlines come on top.
  std::optional<TimePoint> poll();

  // How late a check with this interval may start to share a wakeup.
  static Duration slack_for(std::chrono::milliseconds interval);
  // When a check that could not run on this host is tried again: soon, but not in a loop.
  static Duration shortage_retry_for(std::chrono::milliseconds interval);
  // A shortage episode is over once checks have run for this long without one, so a
  // host hovering at its limit makes one episode, not one per flip.
  static constexpr Duration kShortageQuiet = std::chrono::seconds(30);

  // For status: whether checks are being put off now, and how many were in all.
  bool short_of_resources() const { return shortage_.has_value(); }
  std::uint64_t checks_put_off() const { return put_off_total_; }

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
  void tell(Check&, const HealthEdge&);
  void on_shortage(Check&, const ProbeResult&, TimePoint now);
  void shortage_over(TimePoint now);

  const Clock& clock_;
  Random& random_;
  ProbeRunner& runner_;
  ProbeFactory factory_;
  ShortageListener shortage_listener_;
  ResultObserver result_observer_;
  struct Shortage {
    ShortageEpisode episode;
    TimePoint last;  // the latest check put off
  };
  std::optional<Shortage> shortage_;
  std::uint64_t put_off_total_ = 0;
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
