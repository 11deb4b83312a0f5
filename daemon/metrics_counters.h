#pragma once
// What lvsd counts for its metrics beyond what its parts keep anyway: each check result
// (latency per kind, failures by reason) and descriptor loads. Plain values, updated on
// the loop's thread; metrics_report.cpp writes them out.
#include <array>
#include <cstdint>
#include <string_view>

#include "health/registry.h"
#include "metrics/histogram.h"

namespace lvsd {

// Why a check failed, the label of lib/health's FailureReason (set where the probe
// failed): few and fixed, so each is one series.
inline constexpr std::array<std::string_view, 9> kFailureReasons{
    "timeout", "connect", "tls", "closed", "auth", "refused", "protocol", "setup", "other"};
// The label a failed result is counted under.
std::string_view failure_reason(lvs::health::FailureReason reason);

inline constexpr std::size_t kProbeTypes = 4;  // tcp, smtp, pop3, imap (lvs::health::ProbeType)

struct CheckKindCounters {
  lvs::metrics::Histogram latency{lvs::metrics::latency_buckets()};
  std::array<std::uint64_t, kFailureReasons.size()> failures{};
};

struct DaemonCounters {
  std::array<CheckKindCounters, kProbeTypes> checks;  // by ProbeType
  std::uint64_t loads_ok = 0;
  std::uint64_t loads_failed = 0;

  // One scheduled check's result (lib/health's ResultObserver).
  void record(const lvs::health::CheckKey& check, const lvs::health::ProbeResult& result);
};

// Where a rendering in slices (Daemon::metrics_step) stands: the loop serves other
// events between two slices, so only indices are kept, never pointers into the state.
// Families stay whole and in order: a slice continues the family the last one left.
struct MetricsCursor {
  std::size_t family = 0;  // 0: the small families, all at once; then one per service or real family
  std::size_t item = 0;    // the next service or real (slot) of that family
  std::uint64_t loads = 0; // descriptor loads when the family began: a reload ends it early
  bool done = false;
};

}  // namespace lvsd
