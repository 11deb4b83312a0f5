#pragma once
// The HA report (`lvsctl ha status`, and "ha" in the status document), typed, with its
// one JSON mapping. Fields: daemon/README.md, "HA".
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "control/replies.h"

namespace lvs::control {

struct HaPeer {
  std::string address;
  std::uint32_t priority = 0;
  std::uint32_t interval_ms = 0;
  double heard_s_ago = 0;
  bool operator==(const HaPeer&) const = default;
};

struct HaReport {
  std::string node;
  std::string state;  // "initialize" | "backup" | "master" | "fault"
  std::uint32_t priority = 0;
  bool held = false;  // standby after `lvsctl ha failover` until `lvsctl ha resume`
  std::string fault;  // why, in fault; left out when empty
  std::optional<HaPeer> peer;
  // The last standby report (hmac-sha256 peers): interval_ms is the advert interval it carried.
  std::optional<HaPeer> standby;
  std::optional<double> master_down_in_s;  // backup only
  std::vector<std::string> vips;           // held now
  std::vector<std::string> sync;           // running sync daemons
  std::vector<std::string> tracked_down;
  std::uint64_t adverts_sent = 0, adverts_received = 0, send_errors = 0, vip_errors = 0;
  std::uint64_t reports_sent = 0, reports_received = 0;  // standby reports
  std::map<std::string, std::uint64_t> dropped;  // by reason; only reasons seen
  bool operator==(const HaReport&) const = default;
};

void to_json(nlohmann::json& j, const HaReport& report);
[[nodiscard]] Result<HaReport> ha_from_json(const nlohmann::json& j);
// The reply to ha-status, ha-failover, ha-resume: {"ok":true,"ha":{...}} or a refusal.
[[nodiscard]] Result<Decoded<HaReport>> decode_ha(const nlohmann::json& j);

}  // namespace lvs::control
