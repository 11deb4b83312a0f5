#pragma once
// The event stream of the control socket (`{"command":"events"}`, lvsctl ha status
// --follow): one JSON object per line, each with "event" and "at" (unix seconds).
// Fields: daemon/README.md, "Events".
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace lvs::control {

// An HA state change: {"event":"ha","at":..,"node":"lb1","from":"backup","to":"master","why":"...",
// "vips":2,"adverts_received":N,"adverts_dropped":M}. The last three are read right after
// the new state's entry actions (VIPs taken or dropped) in the same turn, so a test can
// tell which advert caused the change and that the VIPs moved with it.
struct HaEvent {
  std::int64_t at = 0;
  std::string node, from, to, why;
  std::uint64_t vips = 0;              // VIPs held once the change is made
  std::uint64_t adverts_received = 0;  // accepted adverts since lvsd started
  std::uint64_t adverts_dropped = 0;   // all drop reasons together
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
