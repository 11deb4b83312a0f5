#include "daemon/metrics_counters.h"

namespace lvsd {

namespace {

bool has(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }
bool starts(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

}  // namespace

// The order matters: "no reply to LOGIN within 5 s" is a timeout, not an auth failure.
std::string_view failure_reason(std::string_view m) {
  if (has(m, " within ") || has(m, "deadline")) return "timeout";
  if (starts(m, "connect to ")) return "connect";
  if (starts(m, "TLS ")) return "tls";
  if (has(m, "closed the connection") || has(m, "reset by peer")) return "closed";
  if (has(m, "login failed") || starts(m, "USER refused") || has(m, "LOGINDISABLED")) return "auth";
  if (has(m, "STARTTLS") || has(m, "STLS")) return "tls";
  if (has(m, "refused")) return "refused";
  if (starts(m, "unexpected") || starts(m, "server sent") || starts(m, "reply code")) return "protocol";
  if (starts(m, "bad check settings") || starts(m, "cannot ")) return "setup";
  return "other";
}

void DaemonCounters::record(const lvs::health::CheckKey& check, const lvs::health::ProbeResult& result) {
  const auto kind = static_cast<std::size_t>(check.probe.type);
  if (kind >= checks.size()) return;
  auto& c = checks[kind];
  c.latency.observe(std::chrono::duration<double>(result.latency).count());
  if (result.ok) return;
  const std::string_view reason = failure_reason(result.message);
  for (std::size_t i = 0; i < kFailureReasons.size(); ++i)
    if (kFailureReasons[i] == reason) ++c.failures[i];
}

}  // namespace lvsd
