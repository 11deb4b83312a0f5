#pragma once
// The status document (`lvsctl status`, {"ok":true,"status":{...}}), typed, with its
// one JSON mapping: lvsd fills a StatusReport, the control socket writes it, lvsctl
// reads it back. Fields and meanings: daemon/README.md, "Status document".
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "control/ha.h"

namespace lvs::control {

struct DaemonInfo {
  long pid = 0;
  std::string node, netns, state_dir;
  bool operator==(const DaemonInfo&) const = default;
};

struct DescriptorInfo {
  std::string path;
  bool ok = false;  // "status": "ok" | "error" (of the last load attempt)
  std::string cluster;
  std::int64_t loaded_at = 0;
  std::int64_t last_attempt_at = 0;
  std::vector<std::string> errors, warnings;
  bool operator==(const DescriptorInfo&) const = default;
};

struct SysctlInfo {
  std::string name;
  int wanted = 0;
  std::optional<int> current;
  std::string error;  // left out when empty
  bool operator==(const SysctlInfo&) const = default;
};

struct ReconcileInfo {
  std::int64_t at = 0;
  std::size_t operations = 0, failed = 0;
  std::vector<std::string> errors;
  bool operator==(const ReconcileInfo&) const = default;
};

// A service a reload removed, kept with every real at weight 0 until its connections end,
// or (real set) one real a reload removed from a service that stays.
struct RetiringInfo {
  std::string key;   // "tcp 192.0.2.10:110", "fwmark 10 (inet)"
  std::string real;  // "203.0.113.81:110"; empty: the whole service
  std::int64_t since = 0;
  std::uint32_t deadline_s = 0;
  std::uint64_t connections = 0;  // active + inactive, as last read
  bool operator==(const RetiringInfo&) const = default;
};

struct LastResult {
  bool ok = false;
  std::string message;
  double latency_ms = 0, age_s = 0;
  bool operator==(const LastResult&) const = default;
};

struct DrainInfo {
  std::int64_t since = 0;
  std::uint32_t deadline_s = 0;
  std::optional<std::int64_t> drained_at;
  std::string note;  // left out when empty
  bool operator==(const DrainInfo&) const = default;
};

struct RealStatus {
  std::string real;          // "203.0.113.81:25"
  std::string role;          // "real" | "sorry"
  std::optional<std::string> check;
  std::string health;        // "up" | "down" | "unchecked" | "unknown"
  std::optional<LastResult> last_result;
  std::uint32_t configured_weight = 0;
  std::optional<std::uint32_t> desired_weight;  // none: left out of the table
  std::optional<std::uint32_t> current_weight;  // none: not in the table
  std::string admin;         // "enabled" | "draining" | "drained"
  std::optional<DrainInfo> drain;
  std::uint32_t active_conns = 0, inactive_conns = 0, persistent_conns = 0;
  bool operator==(const RealStatus&) const = default;
};

struct ServiceStatus {
  std::string name, key, scheduler, on_failure;
  std::uint32_t quorum = 0;
  std::size_t healthy = 0;
  bool sorry_active = false;
  bool in_kernel = false;
  std::vector<RealStatus> reals;
  bool operator==(const ServiceStatus&) const = default;
};

// Counts over the whole cluster, whatever a request selected. Reals are counted per
// (service, real), sorry reals left out; draining counts drained ones too.
struct StatusSummary {
  std::size_t services = 0, reals = 0, up = 0, down = 0, draining = 0;
  bool operator==(const StatusSummary&) const = default;
};

struct StatusReport {
  DaemonInfo daemon;
  StatusSummary summary;
  // "all": every service; "filtered": what the request's filters selected; "brief": a
  // large cluster asked without filters, only the services with a real down or draining.
  std::string shown = "all";
  DescriptorInfo descriptor;
  std::vector<SysctlInfo> sysctls;
  ReconcileInfo reconcile;
  std::vector<ServiceStatus> services;
  std::vector<RetiringInfo> retiring;
  std::optional<HaReport> ha;  // only when the descriptor has an `ha` section
  bool operator==(const StatusReport&) const = default;
};

// The document itself (the value of "status").
void to_json(nlohmann::json& j, const StatusReport& status);
// A document of the wrong shape is an EPROTO error naming the field.
[[nodiscard]] Result<StatusReport> status_from_json(const nlohmann::json& j);

}  // namespace lvs::control
