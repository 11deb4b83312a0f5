#include "control/events.h"

#include <ctime>

namespace lvs::control {

using json = nlohmann::json;

void to_json(json& j, const HaEvent& e) {
  j = json{{"event", "ha"}, {"at", e.at}, {"node", e.node}, {"from", e.from}, {"to", e.to}, {"why", e.why},
           {"vips", e.vips}, {"adverts_received", e.adverts_received}, {"adverts_dropped", e.adverts_dropped}};
}

void to_json(json& j, const HealthEvent& e) {
  j = json{{"event", "health"}, {"at", e.at}, {"check", e.check}, {"health", e.health}, {"message", e.message}};
}

void to_json(json& j, const AdminEvent& e) {
  j = json{{"event", "admin"}, {"at", e.at}, {"service", e.service}, {"real", e.real}, {"admin", e.admin}};
}

std::string event_text(const json& e) {
  auto field = [&](const char* key) {
    auto it = e.find(key);
    return it != e.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  std::string when;
  if (auto at = e.find("at"); at != e.end() && at->is_number_integer()) {
    const std::time_t t = at->get<std::int64_t>();
    std::tm tm{};
    char buf[32];
    if (::gmtime_r(&t, &tm) && std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm)) when = buf;
  }
  const std::string kind = field("event");
  if (kind == "ha")
    return when + " ha: " + field("node") + " " + field("from") + " -> " + field("to") + " (" + field("why") + ")";
  if (kind == "health")
    return when + " health: " + field("check") + " " + field("health") +
           (field("message").empty() ? "" : ": " + field("message"));
  if (kind == "admin") return when + " admin: " + field("real") + " in " + field("service") + " " + field("admin");
  return e.dump();
}

}  // namespace lvs::control
