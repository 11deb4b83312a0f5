#pragma once
// Time for probes, the runner and the tracker comes from an injected clock, so tests of
// timers advance time themselves instead of sleeping.
#include <chrono>

namespace lvs::health {

using TimePoint = std::chrono::steady_clock::time_point;
using Duration = std::chrono::steady_clock::duration;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class SteadyClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::steady_clock::now(); }
};

}  // namespace lvs::health
