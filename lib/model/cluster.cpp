#include "model/cluster.h"

namespace lvs::model {

HealthCheck default_check_for_port(std::uint16_t port) {
  HealthCheck c;
  switch (port) {
    case 25:
    case 587: c.type = CheckType::smtp; break;
    case 465: c.type = CheckType::smtp; c.tls = TlsMode::implicit; break;
    case 110: c.type = CheckType::pop3; break;
    case 995: c.type = CheckType::pop3; c.tls = TlsMode::implicit; break;
    case 143: c.type = CheckType::imap; break;
    case 993: c.type = CheckType::imap; c.tls = TlsMode::implicit; break;
    default: c.type = CheckType::tcp; break;
  }
  return c;
}

HealthCheck apply_check(HealthCheck base, const CheckSpec& s) {
  if (s.type) {
    // Changing the type without naming TLS drops the port's TLS default (a tcp check
    // on 993 is a plain connect).
    if (*s.type != base.type && !s.tls) base.tls = TlsMode::none;
    base.type = *s.type;
  }
  if (s.tls) base.tls = *s.tls;
  if (s.ca_file) base.ca_file = *s.ca_file;
  if (s.server_name) base.server_name = *s.server_name;
  if (s.verify) base.verify = *s.verify;
  if (s.min_tls_version) base.min_tls_version = *s.min_tls_version;
  if (s.interval_ms) base.interval_ms = *s.interval_ms;
  if (s.timeout_ms) base.timeout_ms = *s.timeout_ms;
  if (s.rise) base.rise = *s.rise;
  if (s.fall) base.fall = *s.fall;
  if (s.credentials_file) base.credentials_file = *s.credentials_file;
  if (s.port) base.port = *s.port;
  if (s.source_address) base.source_address = *s.source_address;
  if (s.ehlo_name) base.ehlo_name = *s.ehlo_name;
  if (s.initially_up) base.initially_up = *s.initially_up;
  return base;
}

int scheduler_flag_number(const std::string& name) {
  if (name == "flag-1" || name == "sh-fallback" || name == "mh-fallback") return 1;
  if (name == "flag-2" || name == "sh-port" || name == "mh-port") return 2;
  if (name == "flag-3") return 3;
  return 0;
}

std::uint32_t VirtualService::scheduler_flag_bits() const {
  std::uint32_t bits = 0;
  for (const auto& f : scheduler_flags) {
    int n = scheduler_flag_number(f);
    if (n > 0) bits |= 1u << (n - 1);
  }
  return bits;
}

namespace {

std::vector<Real> resolve_reals(const std::vector<RealSpec>& specs, std::uint16_t service_port) {
  std::vector<Real> out;
  out.reserve(specs.size());
  for (const auto& r : specs)
    out.push_back(Real{r.address, r.port.value_or(service_port), r.weight, r.upper_threshold,
                       r.lower_threshold});
  return out;
}

}  // namespace

const std::vector<VirtualService>& virtual_services_of(const Cluster& cluster, std::vector<VirtualService>& scratch) {
  if (!cluster.virtual_services.empty() || cluster.services.empty()) return cluster.virtual_services;
  scratch = expand(cluster);
  return scratch;
}

std::vector<VirtualService> expand(const Cluster& cluster) {
  std::vector<VirtualService> out;
  for (std::size_t i = 0; i < cluster.services.size(); ++i) {
    const ServiceSpec& s = cluster.services[i];
    const Pool* pool = nullptr;
    if (!s.pool.empty()) {
      auto it = cluster.pools.find(s.pool);
      if (it != cluster.pools.end()) pool = &it->second;
    }
    const Pool* sorry = nullptr;
    if (!s.sorry_server.empty()) {
      auto it = cluster.pools.find(s.sorry_server);
      if (it != cluster.pools.end()) sorry = &it->second;
    }

    std::vector<std::uint16_t> ports;
    bool many = false;
    if (s.fwmark) ports.push_back(0);
    else if (s.port) ports.push_back(*s.port);
    else { ports = s.ports; many = true; }
    // A marked service: fwmark with an address and its ports (lvsd sets the mark).
    std::vector<std::uint16_t> mark_ports;
    if (s.fwmark && s.address) {
      if (s.port) mark_ports.push_back(*s.port);
      else mark_ports = s.ports;
    }

    for (std::uint16_t port : ports) {
      VirtualService v;
      v.name = many ? s.name + "/" + std::to_string(port) : s.name;
      v.source_pointer = "/services/" + std::to_string(i);
      v.fwmark = s.fwmark.value_or(0);
      if (s.fwmark && !mark_ports.empty()) {
        v.address = *s.address;
        v.family = v.address.family;
        v.protocol = s.protocol;
        v.mark_ports = mark_ports;
      } else if (s.fwmark) {
        v.family = s.family.value_or(Family::inet);
      } else {
        v.address = s.address.value_or(IpAddress{});
        v.family = v.address.family;
        v.protocol = s.protocol;
        v.port = port;
      }
      v.scheduler = s.scheduler;
      v.scheduler_flags = s.scheduler_flags;
      v.persistence_s = s.persistence_s;
      v.persistence_prefix =
          s.persistence_netmask.value_or(v.family == Family::inet ? 32 : 128);
      v.persistence_engine = s.persistence_engine;
      v.one_packet = s.one_packet;
      v.forwarding = s.forwarding;
      v.pool = s.pool;
      v.reals = resolve_reals(pool ? pool->reals : s.reals, port);
      v.quorum = s.quorum;
      v.sorry_server = s.sorry_server;
      if (sorry) v.sorry_reals = resolve_reals(sorry->reals, port);
      v.on_failure = s.on_failure;
      // A marked service is checked on its first port unless check.port says otherwise.
      HealthCheck check = default_check_for_port(mark_ports.empty() ? port : mark_ports.front());
      if (!mark_ports.empty()) check.port = mark_ports.front();
      if (pool && pool->check) check = apply_check(check, *pool->check);
      if (s.check) check = apply_check(check, *s.check);
      v.check = check;
      out.push_back(std::move(v));
    }
  }
  return out;
}

const char* to_string(Protocol p) {
  switch (p) {
    case Protocol::tcp: return "tcp";
    case Protocol::udp: return "udp";
    case Protocol::sctp: return "sctp";
  }
  return "?";
}
const char* to_string(ForwardMethod m) {
  switch (m) {
    case ForwardMethod::masq: return "masq";
    case ForwardMethod::droute: return "droute";
    case ForwardMethod::tunnel: return "tunnel";
  }
  return "?";
}
const char* to_string(TunnelType t) {
  switch (t) {
    case TunnelType::ipip: return "ipip";
    case TunnelType::gue: return "gue";
    case TunnelType::gre: return "gre";
  }
  return "?";
}
const char* to_string(TunnelChecksum c) {
  switch (c) {
    case TunnelChecksum::none: return "none";
    case TunnelChecksum::csum: return "csum";
    case TunnelChecksum::remcsum: return "remcsum";
  }
  return "?";
}
const char* to_string(OnFailure f) { return f == OnFailure::quiesce ? "quiesce" : "remove"; }
const char* to_string(CheckType t) {
  switch (t) {
    case CheckType::none: return "none";
    case CheckType::tcp: return "tcp";
    case CheckType::smtp: return "smtp";
    case CheckType::pop3: return "pop3";
    case CheckType::imap: return "imap";
  }
  return "?";
}
const char* to_string(TlsMode t) {
  switch (t) {
    case TlsMode::none: return "none";
    case TlsMode::implicit: return "implicit";
    case TlsMode::starttls: return "starttls";
  }
  return "?";
}
const char* to_string(PeerMode p) { return p == PeerMode::unicast ? "unicast" : "multicast"; }
const char* to_string(SyncSend s) { return s == SyncSend::each ? "each" : "batched"; }
const char* to_string(AuthType a) { return a == AuthType::none ? "none" : "hmac-sha256"; }
const char* to_string(Family f) { return f == Family::inet ? "inet" : "inet6"; }

}  // namespace lvs::model
