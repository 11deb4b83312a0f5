#pragma once
// Randomness for interval jitter, injected so tests choose the values.
#include <cstdint>
#include <random>

namespace lvs::health {

class Random {
 public:
  virtual ~Random() = default;
  virtual double uniform01() = 0;  // in [0, 1)
};

class SeededRandom final : public Random {
 public:
  explicit SeededRandom(std::uint64_t seed) : engine_(seed) {}
  double uniform01() override { return std::uniform_real_distribution<double>(0.0, 1.0)(engine_); }

 private:
  std::mt19937_64 engine_;
};

}  // namespace lvs::health
