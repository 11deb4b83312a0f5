#include "daemon/metrics_counters.h"

namespace lvsd {

std::string_view failure_reason(lvs::health::FailureReason reason) {
  using R = lvs::health::FailureReason;
  switch (reason) {
    case R::timeout: return "timeout";
    case R::connect: return "connect";
    case R::tls: return "tls";
    case R::closed: return "closed";
    case R::auth: return "auth";
    case R::refused: return "refused";
    case R::protocol: return "protocol";
    // Never counted (the registry retries such checks without a result); setup if it were.
    case R::shortage:
    case R::setup: return "setup";
    case R::none:  // a failure that did not say why
    case R::other: break;
  }
  return "other";
}

void DaemonCounters::record(const lvs::health::CheckKey& check, const lvs::health::ProbeResult& result) {
  const auto kind = static_cast<std::size_t>(check.probe.type);
  if (kind >= checks.size()) return;
  auto& c = checks[kind];
  c.latency.observe(std::chrono::duration<double>(result.latency).count());
  if (result.ok) return;
  const std::string_view reason = failure_reason(result.reason);
  for (std::size_t i = 0; i < kFailureReasons.size(); ++i)
    if (kFailureReasons[i] == reason) ++c.failures[i];
}

}  // namespace lvsd
