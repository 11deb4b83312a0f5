#include "model/model_to_json.h"

namespace lvs::model {

using J = nlohmann::ordered_json;

namespace {

J real_json(const RealSpec& r) {
  J j;
  j["address"] = r.address.to_string();
  if (r.port) j["port"] = *r.port;
  j["weight"] = r.weight;
  if (r.upper_threshold) j["upper_threshold"] = r.upper_threshold;
  if (r.lower_threshold) j["lower_threshold"] = r.lower_threshold;
  return j;
}

J reals_json(const std::vector<RealSpec>& rs) {
  J a = J::array();
  for (const auto& r : rs) a.push_back(real_json(r));
  return a;
}

J check_json(const CheckSpec& c) {
  J j = J::object();
  if (c.type) j["type"] = to_string(*c.type);
  if (c.tls) j["tls"] = to_string(*c.tls);
  if (c.ca_file) j["ca_file"] = *c.ca_file;
  if (c.server_name) j["server_name"] = *c.server_name;
  if (c.verify) j["verify"] = *c.verify;
  if (c.min_tls_version) j["min_tls_version"] = *c.min_tls_version;
  if (c.interval_ms) j["interval_ms"] = *c.interval_ms;
  if (c.timeout_ms) j["timeout_ms"] = *c.timeout_ms;
  if (c.rise) j["rise"] = *c.rise;
  if (c.fall) j["fall"] = *c.fall;
  if (c.credentials_file) j["credentials_file"] = *c.credentials_file;
  if (c.port) j["port"] = *c.port;
  if (c.source_address) j["source_address"] = c.source_address->to_string();
  if (c.ehlo_name) j["ehlo_name"] = *c.ehlo_name;
  if (c.initially_up) j["initially_up"] = *c.initially_up;
  return j;
}

J service_json(const ServiceSpec& s) {
  J j;
  j["name"] = s.name;
  if (s.address) j["address"] = s.address->to_string();
  if (!s.fwmark || s.address) j["protocol"] = to_string(s.protocol);
  if (s.port) j["port"] = *s.port;
  if (!s.ports.empty()) j["ports"] = s.ports;
  if (s.fwmark) j["fwmark"] = *s.fwmark;
  if (s.family) j["family"] = to_string(*s.family);
  j["scheduler"] = s.scheduler;
  if (!s.scheduler_flags.empty()) j["scheduler_flags"] = s.scheduler_flags;
  if (s.persistence_s) j["persistence_s"] = s.persistence_s;
  if (s.persistence_netmask) j["persistence_netmask"] = *s.persistence_netmask;
  if (!s.persistence_engine.empty()) j["persistence_engine"] = s.persistence_engine;
  if (s.one_packet) j["one_packet"] = true;
  if (s.forwarding != Forwarding{}) {
    J f;
    f["method"] = to_string(s.forwarding.method);
    if (s.forwarding.method == ForwardMethod::tunnel || s.forwarding.tunnel_type != TunnelType::ipip)
      f["tunnel_type"] = to_string(s.forwarding.tunnel_type);
    if (s.forwarding.tunnel_port) f["tunnel_port"] = s.forwarding.tunnel_port;
    if (s.forwarding.tunnel_checksum != TunnelChecksum::none)
      f["tunnel_checksum"] = to_string(s.forwarding.tunnel_checksum);
    j["forwarding"] = f;
  }
  if (!s.pool.empty()) j["pool"] = s.pool;
  if (!s.reals.empty()) j["reals"] = reals_json(s.reals);
  if (s.quorum != 1) j["quorum"] = s.quorum;
  if (!s.sorry_server.empty()) j["sorry_server"] = s.sorry_server;
  if (s.on_failure != OnFailure::quiesce) j["on_failure"] = to_string(s.on_failure);
  if (s.check) j["check"] = check_json(*s.check);
  return j;
}

J ha_json(const Ha& h) {
  J j;
  j["virtual_router_id"] = h.virtual_router_id;
  j["interface"] = h.interface;
  j["advert_interval_ms"] = h.advert_interval_ms;
  j["preempt"] = h.preempt;
  j["preempt_delay_s"] = h.preempt_delay_s;
  j["peers"] = to_string(h.peers);
  J auth;
  auth["type"] = to_string(h.authentication.type);
  if (!h.authentication.key_file.empty()) auth["key_file"] = h.authentication.key_file;
  j["authentication"] = auth;
  J vips = J::array();
  for (const auto& v : h.vips) vips.push_back(J{{"address", v.address.to_string()}, {"interface", v.interface}});
  j["vips"] = vips;
  if (h.sync)
    j["sync"] = J{{"interface", h.sync->interface}, {"sync_id", h.sync->sync_id}, {"send", to_string(h.sync->send)},
                  {"takeover_grace_ms", h.sync->takeover_grace_ms}};
  j["garp_refresh_s"] = h.garp_refresh_s;
  if (!h.notify.empty()) j["notify"] = h.notify;
  return j;
}

}  // namespace

J to_json(const Cluster& c) {
  J j;
  j["cluster"] = c.name;
  J nodes = J::array();
  for (const auto& n : c.nodes)
    nodes.push_back(J{{"name", n.name}, {"address", n.address.to_string()}, {"priority", n.priority}});
  j["nodes"] = nodes;
  if (c.ha) j["ha"] = ha_json(*c.ha);
  if (!c.pools.empty()) {
    J pools = J::object();
    for (const auto& [name, p] : c.pools) {
      J pj;
      pj["reals"] = reals_json(p.reals);
      if (p.check) pj["check"] = check_json(*p.check);
      pools[name] = pj;
    }
    j["pools"] = pools;
  }
  J services = J::array();
  for (const auto& s : c.services) services.push_back(service_json(s));
  j["services"] = services;
  if (c.ipvs != IpvsSettings{}) {
    const auto& i = c.ipvs;
    j["ipvs"] = J{{"tcp_timeout_s", i.tcp_timeout_s},
                  {"tcp_fin_timeout_s", i.tcp_fin_timeout_s},
                  {"udp_timeout_s", i.udp_timeout_s},
                  {"expire_quiescent_template", i.expire_quiescent_template},
                  {"expire_nodest_conn", i.expire_nodest_conn},
                  {"conn_reuse_mode", i.conn_reuse_mode}};
  }
  return j;
}

}  // namespace lvs::model
