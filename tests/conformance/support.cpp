// Helpers shared by the conformance test cases.
#include <algorithm>
#include <cerrno>
#include <sstream>

#include "conformance.h"

namespace lvs::conformance {

using namespace lvs::ipvs;

std::unique_ptr<IpvsBackend> fresh_backend() {
  auto be = open_backend();
  REQUIRE(be);
  REQUIRE_OK(be->flush());
  // Sync daemons outlive a flush; a test that started one may have failed before
  // stopping it. ESRCH (none running) is the expected answer here.
  for (SyncState s : {SyncState::master, SyncState::backup}) {
    auto st = be->stop_sync_daemon(s);
    if (!st) REQUIRE(errno_name(st.error().code) == errno_name(ESRCH));
  }
  return be;
}

IpAddress ip(std::string_view text) {
  auto a = IpAddress::parse(text);
  INFO("address " << text);
  REQUIRE(a.has_value());
  return *a;
}

Service service(Protocol proto, std::string_view addr, std::uint16_t port, std::string scheduler) {
  Service s;
  s.key.address = ip(addr);
  s.key.family = s.key.address.family;
  s.key.protocol = proto;
  s.key.port = port;
  s.scheduler = std::move(scheduler);
  s.netmask = s.key.family == Family::inet6 ? 128 : 0xffffffff;
  return s;
}

Service fwmark_service(Family family, std::uint32_t mark, std::string scheduler) {
  Service s;
  s.key.family = family;
  s.key.fwmark = mark;
  s.scheduler = std::move(scheduler);
  s.netmask = family == Family::inet6 ? 128 : 0xffffffff;
  return s;
}

Destination real(std::string_view addr, std::uint16_t port, std::uint32_t weight, Forward forward) {
  Destination d;
  d.address = ip(addr);
  d.family = d.address.family;
  d.port = port;
  d.weight = weight;
  d.forward = forward;
  return d;
}

std::vector<Service> sorted(std::vector<Service> v) {
  std::sort(v.begin(), v.end(), [](const Service& a, const Service& b) { return a.key < b.key; });
  return v;
}

std::vector<Destination> sorted(std::vector<Destination> v) {
  std::sort(v.begin(), v.end(),
            [](const Destination& a, const Destination& b) { return key_of(a) < key_of(b); });
  return v;
}

std::vector<Service> services_of(IpvsBackend& be) {
  auto list = be.list_services();
  INFO("list_services: " << (list ? std::string("") : list.error().describe()));
  REQUIRE(list.ok());
  std::vector<Service> out;
  for (const auto& s : *list) out.push_back(s.service);
  return sorted(std::move(out));
}

std::vector<Destination> dests_of(IpvsBackend& be, const ServiceKey& key) {
  auto list = be.list_destinations(key);
  INFO("list_destinations " << key.to_string() << ": "
                            << (list ? std::string("") : list.error().describe()));
  REQUIRE(list.ok());
  std::vector<Destination> out;
  for (const auto& d : *list) out.push_back(d.dest);
  return sorted(std::move(out));
}

Table sorted_table(IpvsBackend& be) {
  auto t = be.read_table();
  INFO("read_table: " << (t ? std::string("") : t.error().describe()));
  REQUIRE(t.ok());
  Table out = *t;
  std::sort(out.services.begin(), out.services.end(),
            [](const ServiceState& a, const ServiceState& b) { return a.service.key < b.service.key; });
  for (auto& s : out.services)
    std::sort(s.destinations.begin(), s.destinations.end(),
              [](const DestinationState& a, const DestinationState& b) {
                return key_of(a.dest) < key_of(b.dest);
              });
  return out;
}

std::string errno_name(int code) {
  switch (code) {
    case 0: return "0 (no error)";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ESRCH: return "ESRCH";
    case EEXIST: return "EEXIST";
    case ENODEV: return "ENODEV";
    case EINVAL: return "EINVAL";
    case ERANGE: return "ERANGE";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case ENOPROTOOPT: return "ENOPROTOOPT";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case ENOMEM: return "ENOMEM";
    case ENOBUFS: return "ENOBUFS";
    case EMSGSIZE: return "EMSGSIZE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    default: return "errno " + std::to_string(code);
  }
}

}  // namespace lvs::conformance

namespace Catch {

using namespace lvs::ipvs;

std::string StringMaker<Service>::convert(const Service& s) {
  std::ostringstream o;
  o << "{" << s.key.to_string() << " sched=" << s.scheduler << " flags=0x" << std::hex << s.flags
    << std::dec << " timeout=" << s.timeout_s << " netmask=0x" << std::hex << s.netmask
    << std::dec << " pe='" << s.pe_name << "'}";
  return o.str();
}

std::string StringMaker<Destination>::convert(const Destination& d) {
  std::ostringstream o;
  o << "{" << d.to_string() << " family=" << static_cast<int>(d.family)
    << " fwd=" << to_string(d.forward) << " weight=" << d.weight << " u=" << d.upper_threshold
    << " l=" << d.lower_threshold << " tun=" << to_string(d.tunnel_type) << ":" << d.tunnel_port
    << " tunflags=0x" << std::hex << d.tunnel_flags << "}";
  return o.str();
}

std::string StringMaker<SyncDaemon>::convert(const SyncDaemon& d) {
  std::ostringstream o;
  o << "{" << to_string(d.state) << " if=" << d.interface << " id=" << d.sync_id
    << " maxlen=" << d.max_len << " group=" << (d.group ? d.group->to_string() : "-")
    << " port=" << d.port << " ttl=" << static_cast<int>(d.ttl) << "}";
  return o.str();
}

std::string StringMaker<Timeouts>::convert(const Timeouts& t) {
  std::ostringstream o;
  o << "{tcp=" << t.tcp_s << " tcpfin=" << t.tcp_fin_s << " udp=" << t.udp_s << "}";
  return o.str();
}

std::string StringMaker<Stats>::convert(const Stats& s) {
  std::ostringstream o;
  o << "{conns=" << s.conns << " inpkts=" << s.inpkts << " outpkts=" << s.outpkts
    << " inbytes=" << s.inbytes << " outbytes=" << s.outbytes << " cps=" << s.cps << "}";
  return o.str();
}

}  // namespace Catch
