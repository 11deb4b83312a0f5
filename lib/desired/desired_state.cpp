#include "desired/desired_state.h"

namespace lvs::desired {

namespace {

ipvs::Protocol to_protocol(model::Protocol p) {
  switch (p) {
    case model::Protocol::tcp: return ipvs::Protocol::tcp;
    case model::Protocol::udp: return ipvs::Protocol::udp;
    case model::Protocol::sctp: return ipvs::Protocol::sctp;
  }
  return ipvs::Protocol::tcp;
}

std::uint32_t sched_flag_bit(const std::string& name) {
  switch (model::scheduler_flag_number(name)) {
    case 1: return ipvs::svc_flag::sched1;
    case 2: return ipvs::svc_flag::sched2;
    case 3: return ipvs::svc_flag::sched3;
    default: return 0;
  }
}

std::uint32_t ipv4_mask(int prefix) {
  if (prefix <= 0) return 0;
  if (prefix >= 32) return 0xffffffffu;
  return 0xffffffffu << (32 - prefix);
}

}  // namespace

ipvs::ServiceKey service_key(const model::VirtualService& vs) {
  ipvs::ServiceKey k;
  k.family = vs.family;
  if (vs.is_fwmark()) {
    k.fwmark = vs.fwmark;
  } else {
    k.protocol = to_protocol(vs.protocol);
    k.address = vs.address;
    k.port = vs.port;
  }
  return ipvs::normalized(k);
}

ipvs::Service to_service(const model::VirtualService& vs) {
  ipvs::Service s;
  s.key = service_key(vs);
  s.scheduler = vs.scheduler;
  for (const auto& f : vs.scheduler_flags) s.flags |= sched_flag_bit(f);
  if (vs.one_packet) s.flags |= ipvs::svc_flag::onepacket;
  if (vs.persistence_s > 0) {
    s.flags |= ipvs::svc_flag::persistent;
    s.timeout_s = vs.persistence_s;
  }
  s.netmask = vs.family == net::Family::inet6
                  ? static_cast<std::uint32_t>(vs.persistence_prefix)
                  : ipv4_mask(vs.persistence_prefix);
  s.pe_name = vs.persistence_engine;
  return ipvs::normalized(s);
}

ipvs::Destination to_destination(const model::VirtualService& vs, const model::Real& real) {
  ipvs::Destination d;
  d.address = real.address;
  d.family = real.address.family;
  d.port = real.port;
  d.weight = real.weight;
  d.upper_threshold = real.upper_threshold;
  d.lower_threshold = real.lower_threshold;
  switch (vs.forwarding.method) {
    case model::ForwardMethod::masq: d.forward = ipvs::Forward::masq; break;
    case model::ForwardMethod::droute: d.forward = ipvs::Forward::droute; break;
    case model::ForwardMethod::tunnel: d.forward = ipvs::Forward::tunnel; break;
  }
  if (d.forward == ipvs::Forward::tunnel) {
    switch (vs.forwarding.tunnel_type) {
      case model::TunnelType::ipip: d.tunnel_type = ipvs::TunnelType::ipip; break;
      case model::TunnelType::gue: d.tunnel_type = ipvs::TunnelType::gue; break;
      case model::TunnelType::gre: d.tunnel_type = ipvs::TunnelType::gre; break;
    }
    d.tunnel_port = vs.forwarding.tunnel_port;
    switch (vs.forwarding.tunnel_checksum) {
      case model::TunnelChecksum::none: d.tunnel_flags = ipvs::tun_flag::nocsum; break;
      case model::TunnelChecksum::csum: d.tunnel_flags = ipvs::tun_flag::csum; break;
      case model::TunnelChecksum::remcsum: d.tunnel_flags = ipvs::tun_flag::remcsum; break;
    }
  }
  return ipvs::normalized(d);
}

ipvs::DesiredService desired_service(const model::VirtualService& vs, const Overlay& overlay) {
  ipvs::DesiredService out;
  out.service = to_service(vs);
  const ServiceOverlay* so = nullptr;
  if (auto it = overlay.services.find(out.service.key); it != overlay.services.end()) so = &it->second;

  const auto& reals = (so && so->use_sorry) ? vs.sorry_reals : vs.reals;
  out.destinations.reserve(reals.size());
  for (const auto& r : reals) {
    ipvs::Destination d = to_destination(vs, r);
    if (so) {
      if (auto it = so->reals.find(ipvs::key_of(d)); it != so->reals.end()) {
        if (it->second.excluded) continue;
        if (it->second.weight) d.weight = *it->second.weight;
      }
    }
    out.destinations.push_back(d);
  }
  return out;
}

ipvs::DesiredState desired_from_model(const model::Cluster& cluster, const Overlay& overlay) {
  std::vector<model::VirtualService> scratch;
  const auto& services = model::virtual_services_of(cluster, scratch);
  ipvs::DesiredState state;
  state.services.reserve(services.size());
  for (const auto& vs : services) state.services.push_back(desired_service(vs, overlay));
  return state;
}

}  // namespace lvs::desired
