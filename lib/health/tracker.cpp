#include "health/tracker.h"

#include <algorithm>

namespace lvs::health {

std::string_view to_string(Health h) { return h == Health::up ? "up" : "down"; }

Tracker::Tracker(TrackerSettings settings, Random& random, TimePoint now)
    : settings_(settings), random_(random), health_(settings.initial == InitialHealth::up ? Health::up : Health::down) {
  settings_.rise = std::max(settings_.rise, 1);
  settings_.fall = std::max(settings_.fall, 1);
  settings_.jitter = std::clamp(settings_.jitter, 0.0, 1.0);
  auto spread = std::chrono::duration<double>(settings_.interval) * settings_.jitter * random_.uniform01();
  next_due_ = now + std::chrono::duration_cast<Duration>(spread);
}

Duration Tracker::jittered_interval() {
  double factor = 1.0 + settings_.jitter * (2.0 * random_.uniform01() - 1.0);
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(settings_.interval) * factor);
}

std::optional<HealthEdge> Tracker::record(ProbeResult result, TimePoint now) {
  bool ok = result.ok;
  last_ = std::move(result);
  last_at_ = now;
  next_due_ = now + jittered_interval();
  std::optional<Health> next;
  if (ok) {
    ++ok_streak_;
    fail_streak_ = 0;
    bool first = !seen_success_ && settings_.initial == InitialHealth::down_until_first_success;
    seen_success_ = true;
    if (health_ == Health::down && (first || ok_streak_ >= settings_.rise)) next = Health::up;
  } else {
    ++fail_streak_;
    ok_streak_ = 0;
    if (health_ == Health::up && fail_streak_ >= settings_.fall) next = Health::down;
  }
  if (!next) return std::nullopt;
  health_ = *next;
  changed_at_ = now;
  return HealthEdge{health_, *last_};
}

}  // namespace lvs::health
