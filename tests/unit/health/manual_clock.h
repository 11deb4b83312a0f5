#pragma once
// A clock the test moves by hand, and a random source that replays chosen values.
#include <cstddef>
#include <vector>

#include "health/clock.h"
#include "health/random.h"

namespace lvs::health::testing {

class ManualClock final : public Clock {
 public:
  TimePoint now() const override { return now_; }
  void advance(Duration d) { now_ += d; }

 private:
  TimePoint now_ = TimePoint{} + std::chrono::hours(1000);
};

class ReplayRandom final : public Random {
 public:
  explicit ReplayRandom(std::vector<double> values) : values_(std::move(values)) {}
  double uniform01() override { return values_.empty() ? 0.5 : values_[next_++ % values_.size()]; }

 private:
  std::vector<double> values_;
  std::size_t next_ = 0;
};

}  // namespace lvs::health::testing
