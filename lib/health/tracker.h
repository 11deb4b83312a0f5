#pragma once
// The health of one check over time: rise/fall counting, the interval with jitter, the
// initial state, and the last result for status. It reports only edges (down -> up,
// up -> down); probes never count or retry themselves.
#include <chrono>
#include <optional>

#include "health/clock.h"
#include "health/probe_result.h"
#include "health/random.h"

namespace lvs::health {

enum class Health { down, up };
std::string_view to_string(Health);

enum class InitialHealth {
  down_until_first_success,  // down; the first success alone brings it up (the default)
  down,                      // down; needs `rise` successes like any later rise
  up,                        // up; needs `fall` failures to go down
};

struct TrackerSettings {
  std::chrono::milliseconds interval{5000};
  double jitter = 0.1;  // each wait is interval x a factor drawn from [1 - jitter, 1 + jitter]
  int rise = 2;         // successes in a row that bring a down check up
  int fall = 3;         // failures in a row that bring an up check down
  InitialHealth initial = InitialHealth::down_until_first_success;
  bool operator==(const TrackerSettings&) const = default;
};

struct HealthEdge {
  Health health = Health::down;  // the new state
  ProbeResult cause;             // the result that completed the rise or fall
  bool operator==(const HealthEdge&) const = default;
};

class Tracker {
 public:
  // The first check is due within jitter x interval of `now`, so checks created
  // together (daemon start) do not all fire in the same instant.
  Tracker(TrackerSettings, Random&, TimePoint now);

  TimePoint next_due() const { return next_due_; }
  // Counts the result, schedules the next check from `now`, and returns the edge if the
  // state changed.
  std::optional<HealthEdge> record(ProbeResult, TimePoint now);
  // No result this time (the check could not be made on this host): due again at `due`.
  // Health, streaks and the last result stay as they were.
  void postpone(TimePoint due) { next_due_ = due; }

  Health health() const { return health_; }
  const TrackerSettings& settings() const { return settings_; }
  const std::optional<ProbeResult>& last_result() const { return last_; }
  std::optional<TimePoint> last_result_at() const { return last_at_; }
  std::optional<TimePoint> last_change_at() const { return changed_at_; }
  int successes_in_row() const { return ok_streak_; }
  int failures_in_row() const { return fail_streak_; }

 private:
  Duration jittered_interval();

  TrackerSettings settings_;
  Random& random_;
  Health health_;
  bool seen_success_ = false;
  int ok_streak_ = 0;
  int fail_streak_ = 0;
  TimePoint next_due_;
  std::optional<ProbeResult> last_;
  std::optional<TimePoint> last_at_;
  std::optional<TimePoint> changed_at_;
};

}  // namespace lvs::health
