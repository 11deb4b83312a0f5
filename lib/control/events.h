#pragma once
// The event stream of the control socket (`{"command":"events"}`, lvsctl ha status
// --follow): one JSON object per line, each with "event" and "at" (unix seconds).
// Fields: daemon/README.md, "Events".
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace lvs::control {

// An HA state change: {"event":"ha","at":..,"node":"lb1","from":"backup","to":"master","why":"..."}
struct HaEvent {
  std::int64_t at = 0;
  std::string node, from, to, why;
  bool operator==(const HaEvent&) const = default;
};

// A health edge: {"event":"health","at":..,"check":"tcp 203.0.113.11:25","health":"down","message":"..."}
struct HealthEvent {
  std::int64_t at = 0;
  std::string check, health, message;
  bool operator==(const HealthEvent&) const = default;
};

// A drain or enable: {"event":"admin","at":..,"service":"research/25","real":"203.0.113.81:25","admin":"draining"}
struct AdminEvent {
  std::int64_t at = 0;
  std::string service, real, admin;
  bool operator==(const AdminEvent&) const = default;
};

void to_json(nlohmann::json& j, const HaEvent& e);
void to_json(nlohmann::json& j, const HealthEvent& e);
void to_json(nlohmann::json& j, const AdminEvent& e);

// One line of text for an event object (lvsctl's text output); unknown kinds as JSON.
std::string event_text(const nlohmann::json& event);

}  // namespace lvs::control
