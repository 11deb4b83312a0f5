#include "model/summary.h"

#include <algorithm>
#include <set>

namespace lvs::model {

Summary summarize(const Cluster& c) {
  Summary s;
  s.cluster = c.name;
  std::vector<std::string> vips;
  auto add_vip = [&](const std::string& v) {
    if (std::find(vips.begin(), vips.end(), v) == vips.end()) vips.push_back(v);
  };
  std::set<IpAddress> reals;
  for (const auto& v : c.virtual_services) {
    if (v.has_address()) add_vip(v.address.to_string());
    else add_vip("fwmark " + std::to_string(v.fwmark));
    ++s.services_per_scheduler[v.scheduler];
    if (v.is_marked()) {
      std::string ports;
      for (auto p : v.mark_ports) ports += (ports.empty() ? "" : ", ") + std::to_string(p);
      s.marks.push_back("fwmark " + std::to_string(v.fwmark) + ": " + to_string(v.protocol) + " " +
                        v.address.to_string() + (v.mark_ports.size() > 1 ? " ports " : " port ") + ports);
    }
    for (const auto& r : v.reals) reals.insert(r.address);
  }
  if (c.ha)
    for (const auto& v : c.ha->vips) add_vip(v.address.address.to_string());
  s.vips = vips;
  s.services = c.virtual_services.size();
  s.pools = c.pools.size();
  s.reals = reals.size();
  if (!c.ha) {
    s.ha = "none (single balancer)";
  } else {
    const Ha& h = *c.ha;
    std::string nodes;
    for (const auto& n : c.nodes)
      nodes += (nodes.empty() ? "" : ", ") + n.name + " " + std::to_string(n.priority);
    s.ha = "VRRP " + std::string(to_string(h.peers)) + " on " + h.interface + ", vrid " +
           std::to_string(h.virtual_router_id) + ", nodes " + nodes + ", auth " +
           to_string(h.authentication.type) + ", " + std::to_string(h.vips.size()) + " VIPs moved" +
           (h.sync ? ", connection sync on " + h.sync->interface + " id " + std::to_string(h.sync->sync_id) +
                             " (" + to_string(h.sync->send) + ")"
                   : ", no connection sync");
  }
  return s;
}

std::string to_text(const Summary& s) {
  std::string out = "cluster " + s.cluster + "\n";
  out += "  VIPs:      ";
  for (std::size_t i = 0; i < s.vips.size(); ++i) out += (i ? ", " : "") + s.vips[i];
  out += "\n  services:  " + std::to_string(s.services);
  if (!s.services_per_scheduler.empty()) {
    out += " (";
    bool first = true;
    for (const auto& [sched, n] : s.services_per_scheduler) {
      out += (first ? "" : ", ") + sched + " " + std::to_string(n);
      first = false;
    }
    out += ")";
  }
  out += "\n  pools:     " + std::to_string(s.pools);
  out += "\n  reals:     " + std::to_string(s.reals);
  out += "\n  HA:        " + s.ha + "\n";
  // Only when there are some, so descriptors without marked services read as before.
  for (std::size_t i = 0; i < s.marks.size(); ++i) out += std::string(i ? "             " : "  marks:     ") + s.marks[i] + "\n";
  return out;
}

nlohmann::ordered_json to_json(const Summary& s) {
  nlohmann::ordered_json j;
  j["cluster"] = s.cluster;
  j["vips"] = s.vips;
  j["services"] = s.services;
  j["services_per_scheduler"] = s.services_per_scheduler;
  j["pools"] = s.pools;
  j["reals"] = s.reals;
  j["ha"] = s.ha;
  if (!s.marks.empty()) j["marks"] = s.marks;
  return j;
}

}  // namespace lvs::model
