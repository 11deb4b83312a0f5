#pragma once
// Time for tests: a clock the test moves by hand (never sleep to wait for a timer), and
// a random source without jitter.
#include <chrono>

#include "health/clock.h"
#include "health/random.h"

namespace lvs::testing {

class ManualClock final : public health::Clock {
 public:
  health::TimePoint now() const override { return now_; }
  void advance(std::chrono::milliseconds d) { now_ += d; }

 private:
  health::TimePoint now_{std::chrono::hours(1000)};  // far from zero: no test sees an absolute time
};

class MidRandom final : public health::Random {
 public:
  double uniform01() override { return 0.5; }  // no jitter: waits are exactly the interval
};

}  // namespace lvs::testing
