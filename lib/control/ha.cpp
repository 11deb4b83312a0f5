#include "control/ha.h"

#include <cerrno>

namespace lvs::control {
namespace {

using json = nlohmann::json;

Error bad(const std::string& field) { return Error{EPROTO, "the HA report has no valid \"" + field + "\""}; }

template <typename T>
bool read(const json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it == j.end()) return false;
  try {
    out = it->get<T>();
  } catch (const json::exception&) {
    return false;
  }
  return true;
}

}  // namespace

void to_json(json& j, const HaReport& r) {
  j = json{{"node", r.node},
           {"state", r.state},
           {"priority", r.priority},
           {"held", r.held},
           {"vips", r.vips},
           {"sync", r.sync},
           {"tracked_down", r.tracked_down},
           {"adverts", {{"sent", r.adverts_sent},
                        {"received", r.adverts_received},
                        {"send_errors", r.send_errors},
                        {"dropped", r.dropped},
                        {"standby_reports_sent", r.reports_sent},
                        {"standby_reports_received", r.reports_received}}},
           {"vip_errors", r.vip_errors}};
  if (!r.fault.empty()) j["fault"] = r.fault;
  auto peer = [](const HaPeer& p) {
    return json{{"address", p.address}, {"priority", p.priority}, {"interval_ms", p.interval_ms},
                {"heard_s_ago", p.heard_s_ago}};
  };
  if (r.peer) j["peer"] = peer(*r.peer);
  if (r.standby) j["standby"] = peer(*r.standby);
  if (r.master_down_in_s) j["master_down_in_s"] = *r.master_down_in_s;
}

Result<HaReport> ha_from_json(const json& j) {
  if (!j.is_object()) return bad("ha");
  HaReport r;
  for (auto [key, ok] : {std::pair{"node", read(j, "node", r.node)}, {"state", read(j, "state", r.state)},
                         {"priority", read(j, "priority", r.priority)}, {"held", read(j, "held", r.held)},
                         {"vips", read(j, "vips", r.vips)}, {"sync", read(j, "sync", r.sync)},
                         {"tracked_down", read(j, "tracked_down", r.tracked_down)},
                         {"vip_errors", read(j, "vip_errors", r.vip_errors)}})
    if (!ok) return bad(key);
  auto a = j.find("adverts");
  if (a == j.end() || !a->is_object() || !read(*a, "sent", r.adverts_sent) ||
      !read(*a, "received", r.adverts_received) || !read(*a, "send_errors", r.send_errors) ||
      !read(*a, "dropped", r.dropped))
    return bad("adverts");
  // Standby reports came later: a reply without them reads as none.
  if ((a->contains("standby_reports_sent") && !read(*a, "standby_reports_sent", r.reports_sent)) ||
      (a->contains("standby_reports_received") && !read(*a, "standby_reports_received", r.reports_received)))
    return bad("adverts");
  if (j.contains("fault") && !read(j, "fault", r.fault)) return bad("fault");
  for (auto [key, out] : {std::pair{"peer", &r.peer}, {"standby", &r.standby}}) {
    auto p = j.find(key);
    if (p == j.end()) continue;
    HaPeer peer;
    if (!p->is_object() || !read(*p, "address", peer.address) || !read(*p, "priority", peer.priority) ||
        !read(*p, "interval_ms", peer.interval_ms) || !read(*p, "heard_s_ago", peer.heard_s_ago))
      return bad(key);
    *out = peer;
  }
  if (j.contains("master_down_in_s")) {
    double d = 0;
    if (!read(j, "master_down_in_s", d)) return bad("master_down_in_s");
    r.master_down_in_s = d;
  }
  return r;
}

Result<Decoded<HaReport>> decode_ha(const json& j) {
  if (auto e = refusal(j)) return Decoded<HaReport>{std::nullopt, e};
  auto h = j.find("ha");
  if (h == j.end()) return Error{EPROTO, "lvsd's reply has no \"ha\" report"};
  auto r = ha_from_json(*h);
  if (!r) return r.error();
  return Decoded<HaReport>{std::move(*r), std::nullopt};
}

}  // namespace lvs::control
