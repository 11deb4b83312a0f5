#include "daemon/admin_state.h"

#include <cerrno>
#include <nlohmann/json.hpp>

#include "daemon/state_file.h"

namespace lvsd {

using lvs::ipvs::DestKey;

const DrainEntry* AdminState::find(const std::string& service, const DestKey& real) const {
  for (const auto& d : drains)
    if (d.service == service && d.real == real) return &d;
  return nullptr;
}

DrainEntry* AdminState::find(const std::string& service, const DestKey& real) {
  for (auto& d : drains)
    if (d.service == service && d.real == real) return &d;
  return nullptr;
}

bool AdminState::drain(const std::string& service, const DestKey& real, std::int64_t now, std::uint32_t deadline_s) {
  if (DrainEntry* d = find(service, real)) {
    // Draining again only changes the deadline; the drain keeps its start.
    if (d->deadline_s == deadline_s) return false;
    d->deadline_s = deadline_s;
    return true;
  }
  drains.push_back(DrainEntry{service, real, now, deadline_s, std::nullopt, {}});
  return true;
}

bool AdminState::enable(const std::string& service, const DestKey& real) {
  for (auto it = drains.begin(); it != drains.end(); ++it) {
    if (it->service == service && it->real == real) {
      drains.erase(it);
      return true;
    }
  }
  return false;
}

std::string admin_state_path(const std::string& state_dir, const std::string& netns) {
  std::string dir = state_dir.empty() ? "." : state_dir;
  if (dir.back() == '/') dir.pop_back();
  return netns.empty() ? dir + "/admin.json" : dir + "/admin.netns-" + netns + ".json";
}

std::string to_json(const AdminState& state) {
  nlohmann::ordered_json drains = nlohmann::ordered_json::array();
  for (const auto& d : state.drains) {
    nlohmann::ordered_json j{{"service", d.service},
                             {"address", d.real.address.to_string()},
                             {"port", d.real.port},
                             {"since", d.since},
                             {"deadline_s", d.deadline_s}};
    if (d.drained_at) j["drained_at"] = *d.drained_at;
    if (!d.drained_note.empty()) j["drained_note"] = d.drained_note;
    drains.push_back(std::move(j));
  }
  nlohmann::ordered_json doc{{"version", 1}, {"drains", std::move(drains)}};
  return doc.dump(2) + "\n";
}

lvs::Result<AdminState> admin_state_from_json(std::string_view text, const std::string& origin) {
  auto bad = [&](const std::string& why) { return lvs::Error{EINVAL, origin + ": " + why}; };
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return bad("not a JSON object");
  if (doc.value("version", 0) != 1) return bad("unknown version");
  if (!doc.contains("drains") || !doc["drains"].is_array()) return bad("no drains array");
  AdminState state;
  for (const auto& j : doc["drains"]) {
    if (!j.is_object() || !j.contains("service") || !j["service"].is_string() || !j.contains("address") ||
        !j["address"].is_string() || !j.contains("port") || !j["port"].is_number_unsigned())
      return bad("a drain entry lacks service, address or port");
    auto addr = lvs::net::IpAddress::parse(j["address"].get<std::string>());
    if (!addr) return bad("bad address " + j["address"].get<std::string>());
    auto port = j["port"].get<std::uint64_t>();
    if (port > 65535) return bad("bad port");
    DrainEntry d;
    d.service = j["service"].get<std::string>();
    d.real = DestKey{*addr, static_cast<std::uint16_t>(port)};
    if (j.contains("since") && j["since"].is_number_integer()) d.since = j["since"].get<std::int64_t>();
    if (j.contains("deadline_s") && j["deadline_s"].is_number_unsigned())
      d.deadline_s = j["deadline_s"].get<std::uint32_t>();
    if (j.contains("drained_at") && j["drained_at"].is_number_integer())
      d.drained_at = j["drained_at"].get<std::int64_t>();
    if (j.contains("drained_note") && j["drained_note"].is_string()) d.drained_note = j["drained_note"].get<std::string>();
    state.drains.push_back(std::move(d));
  }
  return state;
}

lvs::Result<AdminState> load_admin_state(const std::string& path) {
  auto text = read_small_file(path);
  if (!text) {
    if (text.error().code == ENOENT) return AdminState{};
    return text.error();
  }
  return admin_state_from_json(*text, path);
}

lvs::Status save_admin_state(const std::string& path, const AdminState& state) {
  return write_file_atomic(path, to_json(state));
}

}  // namespace lvsd
