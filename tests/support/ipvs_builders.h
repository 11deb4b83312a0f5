#pragma once
// Builders of IPVS services and reals for tests: documentation addresses only.
#include <string>

#include "ipvs/reconcile.h"

namespace lvs::ipvs::test {

inline IpAddress ip(const char* text) { return *IpAddress::parse(text); }

inline Service tcp_service(const char* vip, std::uint16_t port, std::string sched = "rr") {
  Service s;
  s.key.address = ip(vip);
  s.key.family = s.key.address.family;
  s.key.protocol = Protocol::tcp;
  s.key.port = port;
  s.scheduler = std::move(sched);
  if (s.key.family == Family::inet6) s.netmask = 128;
  return s;
}

inline Destination real(const char* addr, std::uint16_t port, std::uint32_t weight = 1) {
  Destination d;
  d.address = ip(addr);
  d.family = d.address.family;
  d.port = port;
  d.weight = weight;
  return d;
}

inline ServiceState observed(const Service& s, std::vector<Destination> dests) {
  ServiceState st;
  st.service = s;
  st.service.flags |= svc_flag::hashed;  // what the kernel reports
  for (auto& d : dests) st.destinations.push_back(DestinationState{d, 0, 0, 0, {}});
  return st;
}

}  // namespace lvs::ipvs::test
