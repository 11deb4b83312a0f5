#pragma once
// A Prometheus histogram as a plain value: fixed upper bounds (+Inf implied), a count per
// bucket, the sum and the count of observations. Observing is a short search and two adds.
#include <cstdint>
#include <vector>

namespace lvs::metrics {

class Histogram {
 public:
  // `bounds`: the buckets' upper bounds, ascending (checked: unsorted ones are sorted,
  // duplicates dropped, so a bad list cannot make the output invalid).
  explicit Histogram(std::vector<double> bounds);

  void observe(double value);

  const std::vector<double>& bounds() const { return bounds_; }
  // Observations per bucket, not cumulative: counts()[i] fell in (bounds[i-1], bounds[i]];
  // the last one (index bounds().size()) is above every bound.
  const std::vector<std::uint64_t>& counts() const { return counts_; }
  double sum() const { return sum_; }
  std::uint64_t count() const { return count_; }

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_;
  double sum_ = 0;
  std::uint64_t count_ = 0;
};

// Latency buckets in seconds, 1 ms to 10 s: a mail check's dialogue takes milliseconds
// on a LAN and its timeout is a few seconds.
std::vector<double> latency_buckets();

}  // namespace lvs::metrics
