// Model -> desired IPVS state: the kernel's conventions for flags, netmask, forwarding.
#include <catch2/catch.hpp>

#include "desired/desired_state.h"

using namespace lvs;
using namespace lvs::desired;
namespace m = lvs::model;

namespace {

net::IpAddress ip(const char* t) { return *net::IpAddress::parse(t); }

m::VirtualService imap(const char* vip, std::uint16_t port) {
  m::VirtualService v;
  v.name = "research-imap";
  v.address = ip(vip);
  v.family = v.address.family;
  v.protocol = m::Protocol::tcp;
  v.port = port;
  v.scheduler = "fo";
  v.persistence_prefix = v.family == net::Family::inet ? 32 : 128;
  v.reals = {m::Real{ip(v.family == net::Family::inet ? "198.51.100.11" : "2001:db8:1::11"), port, 100, 0, 0},
             m::Real{ip(v.family == net::Family::inet ? "198.51.100.12" : "2001:db8:1::12"), port, 50, 500, 400}};
  return v;
}

}  // namespace

TEST_CASE("desired: a plain NAT service keeps scheduler, reals, weights and thresholds") {
  auto ds = desired_service(imap("192.0.2.10", 143));
  CHECK(ds.service.key.address == ip("192.0.2.10"));
  CHECK(ds.service.key.protocol == ipvs::Protocol::tcp);
  CHECK(ds.service.key.port == 143);
  CHECK(ds.service.scheduler == "fo");
  CHECK(ds.service.flags == 0);
  CHECK(ds.service.timeout_s == 0);
  REQUIRE(ds.destinations.size() == 2);
  CHECK(ds.destinations[0].forward == ipvs::Forward::masq);
  CHECK(ds.destinations[0].weight == 100);
  CHECK(ds.destinations[1].weight == 50);
  CHECK(ds.destinations[1].upper_threshold == 500);
  CHECK(ds.destinations[1].lower_threshold == 400);
  CHECK(ds.destinations[1].port == 143);
}

TEST_CASE("desired: persistence sets the flag, timeout and an IPv4 mask from the prefix") {
  auto v = imap("192.0.2.10", 993);
  v.scheduler = "rr";
  v.persistence_s = 900;
  v.persistence_prefix = 24;
  auto s = to_service(v);
  CHECK((s.flags & ipvs::svc_flag::persistent) != 0);
  CHECK(s.timeout_s == 900);
  CHECK(s.netmask == 0xffffff00u);
  v.persistence_prefix = 32;
  CHECK(to_service(v).netmask == 0xffffffffu);
}

TEST_CASE("desired: an IPv6 service carries its persistence netmask as a prefix length") {
  auto v = imap("2001:db8::10", 993);
  v.persistence_s = 1800;
  v.persistence_prefix = 64;
  auto s = to_service(v);
  CHECK(s.key.family == net::Family::inet6);
  CHECK(s.netmask == 64);
  v.persistence_s = 0;
  CHECK(to_service(v).netmask == 128);  // the kernel rejects anything outside 1..128
}

TEST_CASE("desired: scheduler flag names and one-packet become kernel flag bits") {
  auto v = imap("192.0.2.10", 53);
  v.protocol = m::Protocol::udp;
  v.scheduler = "sh";
  v.scheduler_flags = {"sh-fallback", "sh-port"};
  v.one_packet = true;
  auto s = to_service(v);
  CHECK(s.key.protocol == ipvs::Protocol::udp);
  CHECK(s.flags == (ipvs::svc_flag::sched1 | ipvs::svc_flag::sched2 | ipvs::svc_flag::onepacket));
  v.scheduler = "wlc";
  v.scheduler_flags = {"flag-3"};
  v.one_packet = false;
  CHECK(to_service(v).flags == ipvs::svc_flag::sched3);
}

TEST_CASE("desired: a fwmark service is keyed by family and mark only") {
  m::VirtualService v;
  v.family = net::Family::inet6;
  v.fwmark = 12;
  v.scheduler = "mh";
  v.persistence_prefix = 128;
  v.reals = {m::Real{ip("2001:db8:1::11"), 0, 1, 0, 0}};
  auto ds = desired_service(v);
  CHECK(ds.service.key.fwmark == 12);
  CHECK(ds.service.key.family == net::Family::inet6);
  CHECK(ds.service.key.port == 0);
  CHECK(ds.service.key == service_key(v));
  REQUIRE(ds.destinations.size() == 1);
  CHECK(ds.destinations[0].port == 0);
}

TEST_CASE("desired: tunnel forwarding carries type, port and checksum flags") {
  auto v = imap("192.0.2.10", 25);
  v.forwarding = m::Forwarding{m::ForwardMethod::tunnel, m::TunnelType::gue, 6080,
                               m::TunnelChecksum::remcsum};
  auto d = to_destination(v, v.reals[0]);
  CHECK(d.forward == ipvs::Forward::tunnel);
  CHECK(d.tunnel_type == ipvs::TunnelType::gue);
  CHECK(d.tunnel_port == 6080);
  CHECK(d.tunnel_flags == ipvs::tun_flag::remcsum);
  v.forwarding = m::Forwarding{m::ForwardMethod::droute, m::TunnelType::gre, 0, m::TunnelChecksum::csum};
  d = to_destination(v, v.reals[0]);
  CHECK(d.forward == ipvs::Forward::droute);
  CHECK(d.tunnel_flags == 0);
}

TEST_CASE("desired: with no overlay every real is in with its configured weight") {
  m::Cluster c;
  c.virtual_services = {imap("192.0.2.10", 143), imap("192.0.2.20", 143)};
  c.virtual_services[0].sorry_reals = {m::Real{ip("198.51.100.99"), 143, 1, 0, 0}};
  c.virtual_services[0].quorum = 5;  // quorum is the daemon's business, not applied here
  auto state = desired_from_model(c);
  REQUIRE(state.services.size() == 2);
  CHECK(state.services[0].destinations.size() == 2);
  CHECK(state.services[0].destinations[0].weight == 100);
  CHECK(state.services[1].service.key.address == ip("192.0.2.20"));
}

TEST_CASE("desired: the overlay quiesces, removes, or switches to the sorry server") {
  auto v = imap("192.0.2.10", 143);
  v.sorry_reals = {m::Real{ip("198.51.100.99"), 143, 1, 0, 0}};
  Overlay o;
  auto& so = o.services[service_key(v)];
  so.reals[ipvs::DestKey{ip("198.51.100.11"), 143}].weight = 0;
  so.reals[ipvs::DestKey{ip("198.51.100.12"), 143}].excluded = true;
  auto ds = desired_service(v, o);
  REQUIRE(ds.destinations.size() == 1);
  CHECK(ds.destinations[0].address == ip("198.51.100.11"));
  CHECK(ds.destinations[0].weight == 0);

  so.use_sorry = true;
  ds = desired_service(v, o);
  REQUIRE(ds.destinations.size() == 1);
  CHECK(ds.destinations[0].address == ip("198.51.100.99"));
}

TEST_CASE("desired: the written layer is expanded when virtual services are not filled in") {
  m::Cluster c;
  m::ServiceSpec s;
  s.name = "mail";
  s.address = ip("192.0.2.10");
  s.ports = {25, 110};
  s.scheduler = "rr";
  s.reals = {m::RealSpec{ip("198.51.100.11"), std::nullopt, 3, 0, 0}};
  c.services = {s};
  auto state = desired_from_model(c);
  REQUIRE(state.services.size() == 2);
  CHECK(state.services[1].service.key.port == 110);
  REQUIRE(state.services[1].destinations.size() == 1);
  CHECK(state.services[1].destinations[0].port == 110);
  CHECK(state.services[1].destinations[0].weight == 3);
}
