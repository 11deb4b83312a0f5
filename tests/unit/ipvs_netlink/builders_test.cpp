// Requests built for the kernel, parsed back attribute by attribute with the policies the
// backend uses: what the kernel's ip_vs_genl_parse_service/_dest/_daemon would see.
#include <arpa/inet.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <cstring>

#include "wire_support.h"

using namespace lvs::ipvs;
using namespace lvs::ipvs::test;

namespace {

ip_vs_flags flags_of(nlattr* a) {
  REQUIRE(a != nullptr);
  REQUIRE(nla_len(a) == static_cast<int>(sizeof(ip_vs_flags)));
  ip_vs_flags f{};
  std::memcpy(&f, nla_data(a), sizeof f);
  return f;
}

wire::MsgPtr built(const Operation& op, std::uint32_t seq = 77) {
  auto msg = wire::new_message();
  REQUIRE(msg);
  REQUIRE(wire::build_operation(msg.get(), kFamily, op, seq) == 0);
  return msg;
}

Service tcp_service() {
  Service s;
  s.key.family = Family::inet;
  s.key.protocol = Protocol::tcp;
  s.key.address = ip("192.0.2.10");
  s.key.port = 25;
  s.scheduler = "rr";
  return s;
}

}  // namespace

TEST_CASE("builders: an IPv4 service add carries key, scheduler, flags, timeout and mask", "[unit][netlink]") {
  Service s = tcp_service();
  s.flags = svc_flag::onepacket | svc_flag::sched1;
  s.timeout_s = 900;
  s.netmask = 0xffffff00;  // 255.255.255.0
  auto msg = built(AddService{s}, 4242);

  Parsed p = parse(msg.get());
  REQUIRE(p.error == 0);
  CHECK(p.nlh->nlmsg_type == kFamily);
  CHECK(p.nlh->nlmsg_seq == 4242u);
  CHECK(p.nlh->nlmsg_flags == (NLM_F_REQUEST | NLM_F_ACK));
  CHECK(p.genl->cmd == IPVS_CMD_NEW_SERVICE);
  CHECK(p.genl->version == IPVS_GENL_VERSION);
  CHECK(p.top[IPVS_CMD_ATTR_DEST] == nullptr);

  auto tb = service_attrs(p.top[IPVS_CMD_ATTR_SERVICE]);
  CHECK(nla_get_u16(tb[IPVS_SVC_ATTR_AF]) == AF_INET);
  CHECK(nla_get_u16(tb[IPVS_SVC_ATTR_PROTOCOL]) == IPPROTO_TCP);
  CHECK(addr_of(tb[IPVS_SVC_ATTR_ADDR], Family::inet) == ip("192.0.2.10"));
  CHECK(ntohs(nla_get_u16(tb[IPVS_SVC_ATTR_PORT])) == 25);
  CHECK(tb[IPVS_SVC_ATTR_FWMARK] == nullptr);
  CHECK(std::string(nla_get_string(tb[IPVS_SVC_ATTR_SCHED_NAME])) == "rr");
  ip_vs_flags f = flags_of(tb[IPVS_SVC_ATTR_FLAGS]);
  CHECK(f.flags == (svc_flag::onepacket | svc_flag::sched1 | svc_flag::persistent));
  CHECK(f.mask == 0xffffffffu);
  CHECK(nla_get_u32(tb[IPVS_SVC_ATTR_TIMEOUT]) == 900u);
  // IPv4: the mask in network byte order, as ipvsadm sends it.
  std::uint32_t mask = nla_get_u32(tb[IPVS_SVC_ATTR_NETMASK]);
  CHECK(std::memcmp(&mask, "\xff\xff\xff\x00", 4) == 0);
  CHECK(tb[IPVS_SVC_ATTR_PE_NAME] == nullptr);
}

TEST_CASE("builders: an IPv6 service edit sends the persistence prefix length and engine", "[unit][netlink]") {
  Service s;
  s.key.family = Family::inet6;
  s.key.protocol = Protocol::udp;
  s.key.address = ip("2001:db8::53");
  s.key.port = 5060;
  s.scheduler = "sh";
  s.flags = svc_flag::sched2;
  s.timeout_s = 300;
  s.netmask = 64;
  s.pe_name = "sip";
  auto msg = built(EditService{s});

  Parsed p = parse(msg.get());
  REQUIRE(p.error == 0);
  CHECK(p.genl->cmd == IPVS_CMD_SET_SERVICE);
  auto tb = service_attrs(p.top[IPVS_CMD_ATTR_SERVICE]);
  CHECK(nla_get_u16(tb[IPVS_SVC_ATTR_AF]) == AF_INET6);
  CHECK(nla_get_u16(tb[IPVS_SVC_ATTR_PROTOCOL]) == IPPROTO_UDP);
  CHECK(addr_of(tb[IPVS_SVC_ATTR_ADDR], Family::inet6) == ip("2001:db8::53"));
  CHECK(ntohs(nla_get_u16(tb[IPVS_SVC_ATTR_PORT])) == 5060);
  CHECK(nla_get_u32(tb[IPVS_SVC_ATTR_NETMASK]) == 64u);  // a plain prefix length
  CHECK(std::string(nla_get_string(tb[IPVS_SVC_ATTR_PE_NAME])) == "sip");
  CHECK(flags_of(tb[IPVS_SVC_ATTR_FLAGS]).flags == (svc_flag::sched2 | svc_flag::persistent));
}

TEST_CASE("builders: a service without persistence clears the persistent flag, and hashed is never sent",
          "[unit][netlink]") {
  Service s = tcp_service();
  s.flags = svc_flag::hashed | svc_flag::persistent | svc_flag::onepacket;
  auto msg = built(EditService{s});
  Parsed p = parse(msg.get());
  REQUIRE(p.error == 0);
  auto tb = service_attrs(p.top[IPVS_CMD_ATTR_SERVICE]);
  ip_vs_flags f = flags_of(tb[IPVS_SVC_ATTR_FLAGS]);
  CHECK(f.flags == svc_flag::onepacket);
  CHECK(f.mask == 0xffffffffu);  // every flag stated, so an edit can clear one
  CHECK(nla_get_u32(tb[IPVS_SVC_ATTR_TIMEOUT]) == 0u);
}

TEST_CASE("builders: a fwmark service is keyed by family and mark alone", "[unit][netlink]") {
  Service s;
  s.key.family = Family::inet6;
  s.key.fwmark = 0xfffffffe;
  s.scheduler = "wlc";
  s.netmask = 128;
  auto msg = built(AddService{s});
  Parsed p = parse(msg.get());
  REQUIRE(p.error == 0);
  auto tb = service_attrs(p.top[IPVS_CMD_ATTR_SERVICE]);
  CHECK(nla_get_u16(tb[IPVS_SVC_ATTR_AF]) == AF_INET6);
  CHECK(nla_get_u32(tb[IPVS_SVC_ATTR_FWMARK]) == 0xfffffffeu);
  CHECK(tb[IPVS_SVC_ATTR_PROTOCOL] == nullptr);
  CHECK(tb[IPVS_SVC_ATTR_ADDR] == nullptr);
  CHECK(tb[IPVS_SVC_ATTR_PORT] == nullptr);
  CHECK(nla_get_u32(tb[IPVS_SVC_ATTR_NETMASK]) == 128u);
}

TEST_CASE("builders: deleting a service sends only its key", "[unit][netlink]") {
  auto msg = built(DeleteService{tcp_service().key});
  Parsed p = parse(msg.get());
  REQUIRE(p.error == 0);
  CHECK(p.genl->cmd == IPVS_CMD_DEL_SERVICE);
  auto tb = service_attrs(p.top[IPVS_CMD_ATTR_SERVICE]);
  CHECK(tb[IPVS_SVC_ATTR_AF] != nullptr);
  CHECK(tb[IPVS_SVC_ATTR_PORT] != nullptr);
  CHECK(tb[IPVS_SVC_ATTR_SCHED_NAME] == nullptr);
  CHECK(tb[IPVS_SVC_ATTR_FLAGS] == nullptr);
  CHECK(tb[IPVS_SVC_ATTR_NETMASK] == nullptr);
}

TEST_CASE("builders: a real server carries its forwarding method, weight, thresholds and family",
          "[unit][netlink]") {
  Forward method = GENERATE(Forward::masq, Forward::local, Forward::tunnel, Forward::droute, Forward::bypass);
  Destination d;
  d.address = ip("198.51.100.11");
  d.family = Family::inet;
  d.port = 25;
  d.forward = method;
  d.weight = 0x7fffffff;
  d.upper_threshold = 1000;
  d.lower_threshold = 10;
  auto msg = built(AddDest{tcp_service().key, d});

  Parsed p = parse(msg.get());
  REQUIRE(p.error == 0);
  CHECK(p.genl->cmd == IPVS_CMD_NEW_DEST);
  auto svc = service_attrs(p.top[IPVS_CMD_ATTR_SERVICE]);
  CHECK(ntohs(nla_get_u16(svc[IPVS_SVC_ATTR_PORT])) == 25);
  CHECK(svc[IPVS_SVC_ATTR_SCHED_NAME] == nullptr);  // the service is named by key only

  auto tb = dest_attrs(p.top[IPVS_CMD_ATTR_DEST]);
  CHECK(addr_of(tb[IPVS_DEST_ATTR_ADDR], Family::inet) == ip("198.51.100.11"));
  CHECK(ntohs(nla_get_u16(tb[IPVS_DEST_ATTR_PORT])) == 25);
  CHECK(nla_get_u16(tb[IPVS_DEST_ATTR_ADDR_FAMILY]) == AF_INET);
  CHECK(nla_get_u32(tb[IPVS_DEST_ATTR_FWD_METHOD]) == static_cast<std::uint32_t>(method));
  CHECK(nla_get_u32(tb[IPVS_DEST_ATTR_WEIGHT]) == 0x7fffffffu);
  CHECK(nla_get_u32(tb[IPVS_DEST_ATTR_U_THRESH]) == 1000u);
  CHECK(nla_get_u32(tb[IPVS_DEST_ATTR_L_THRESH]) == 10u);
}

TEST_CASE("builders: a tunnel real of the other family carries tunnel type, port and flags",
          "[unit][netlink]") {
  TunnelType type = GENERATE(TunnelType::ipip, TunnelType::gue, TunnelType::gre);
  Destination d;
  d.address = ip("2001:db8::11");
  d.family = Family::inet6;  // in an IPv4 service: mixed family, tunnel only
  d.port = 25;
  d.forward = Forward::tunnel;
  d.tunnel_type = type;
  d.tunnel_port = 6080;
  d.tunnel_flags = tun_flag::csum | tun_flag::remcsum;
  auto msg = built(EditDest{tcp_service().key, d});

  Parsed p = parse(msg.get());
  REQUIRE(p.error == 0);
  CHECK(p.genl->cmd == IPVS_CMD_SET_DEST);
  auto svc = service_attrs(p.top[IPVS_CMD_ATTR_SERVICE]);
  CHECK(nla_get_u16(svc[IPVS_SVC_ATTR_AF]) == AF_INET);
  auto tb = dest_attrs(p.top[IPVS_CMD_ATTR_DEST]);
  CHECK(nla_get_u16(tb[IPVS_DEST_ATTR_ADDR_FAMILY]) == AF_INET6);
  CHECK(addr_of(tb[IPVS_DEST_ATTR_ADDR], Family::inet6) == ip("2001:db8::11"));
  CHECK(nla_get_u32(tb[IPVS_DEST_ATTR_FWD_METHOD]) == IP_VS_CONN_F_TUNNEL);
  CHECK(nla_get_u8(tb[IPVS_DEST_ATTR_TUN_TYPE]) == static_cast<std::uint8_t>(type));
  CHECK(ntohs(nla_get_u16(tb[IPVS_DEST_ATTR_TUN_PORT])) == 6080);
  CHECK(nla_get_u16(tb[IPVS_DEST_ATTR_TUN_FLAGS]) ==
        (IP_VS_TUNNEL_ENCAP_FLAG_CSUM | IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM));
}

TEST_CASE("builders: deleting a real sends only its address, port and family", "[unit][netlink]") {
  auto msg = built(DeleteDest{tcp_service().key, DestKey{ip("198.51.100.12"), 110}});
  Parsed p = parse(msg.get());
  REQUIRE(p.error == 0);
  CHECK(p.genl->cmd == IPVS_CMD_DEL_DEST);
  auto tb = dest_attrs(p.top[IPVS_CMD_ATTR_DEST]);
  CHECK(addr_of(tb[IPVS_DEST_ATTR_ADDR], Family::inet) == ip("198.51.100.12"));
  CHECK(ntohs(nla_get_u16(tb[IPVS_DEST_ATTR_PORT])) == 110);
  CHECK(tb[IPVS_DEST_ATTR_WEIGHT] == nullptr);
  CHECK(tb[IPVS_DEST_ATTR_FWD_METHOD] == nullptr);
}

TEST_CASE("builders: a sync daemon start carries every setting; defaults are left to the kernel",
          "[unit][netlink]") {
  auto msg = wire::new_message();
  REQUIRE(msg);
  SyncDaemon d;
  d.state = SyncState::backup;
  d.interface = "eth1";
  d.sync_id = 42;
  d.max_len = 1400;
  d.group = ip("239.1.2.3");
  d.port = 8849;
  d.ttl = 3;
  REQUIRE(wire::put_header(msg.get(), kFamily, IPVS_CMD_NEW_DAEMON, NLM_F_ACK, 1) == 0);
  REQUIRE(wire::put_daemon(msg.get(), d) == 0);
  Parsed p = parse(msg.get());
  REQUIRE(p.error == 0);
  auto tb = daemon_attrs(p.top[IPVS_CMD_ATTR_DAEMON]);
  CHECK(nla_get_u32(tb[IPVS_DAEMON_ATTR_STATE]) == IP_VS_STATE_BACKUP);
  CHECK(std::string(nla_get_string(tb[IPVS_DAEMON_ATTR_MCAST_IFN])) == "eth1");
  CHECK(nla_get_u32(tb[IPVS_DAEMON_ATTR_SYNC_ID]) == 42u);
  CHECK(nla_get_u16(tb[IPVS_DAEMON_ATTR_SYNC_MAXLEN]) == 1400);
  CHECK(std::memcmp(nla_data(tb[IPVS_DAEMON_ATTR_MCAST_GROUP]), ip("239.1.2.3").bytes.data(), 4) == 0);
  CHECK(tb[IPVS_DAEMON_ATTR_MCAST_GROUP6] == nullptr);
  CHECK(nla_get_u16(tb[IPVS_DAEMON_ATTR_MCAST_PORT]) == 8849);  // host order, unlike service ports
  CHECK(nla_get_u8(tb[IPVS_DAEMON_ATTR_MCAST_TTL]) == 3);

  // Only the mandatory attributes when everything else is the kernel's default.
  auto plain = wire::new_message();
  SyncDaemon m;
  m.interface = "eth0";
  m.sync_id = 1;
  REQUIRE(wire::put_header(plain.get(), kFamily, IPVS_CMD_NEW_DAEMON, NLM_F_ACK, 2) == 0);
  REQUIRE(wire::put_daemon(plain.get(), m) == 0);
  Parsed q = parse(plain.get());
  REQUIRE(q.error == 0);
  auto mb = daemon_attrs(q.top[IPVS_CMD_ATTR_DAEMON]);
  CHECK(nla_get_u32(mb[IPVS_DAEMON_ATTR_STATE]) == IP_VS_STATE_MASTER);
  CHECK(mb[IPVS_DAEMON_ATTR_SYNC_MAXLEN] == nullptr);
  CHECK(mb[IPVS_DAEMON_ATTR_MCAST_GROUP] == nullptr);
  CHECK(mb[IPVS_DAEMON_ATTR_MCAST_GROUP6] == nullptr);
  CHECK(mb[IPVS_DAEMON_ATTR_MCAST_PORT] == nullptr);
  CHECK(mb[IPVS_DAEMON_ATTR_MCAST_TTL] == nullptr);
}

TEST_CASE("builders: an IPv6 sync group goes in MCAST_GROUP6; a stop names only the state", "[unit][netlink]") {
  auto msg = wire::new_message();
  SyncDaemon d;
  d.interface = "eth1";
  d.group = ip("ff02::81");
  REQUIRE(wire::put_header(msg.get(), kFamily, IPVS_CMD_NEW_DAEMON, NLM_F_ACK, 1) == 0);
  REQUIRE(wire::put_daemon(msg.get(), d) == 0);
  Parsed p = parse(msg.get());
  REQUIRE(p.error == 0);
  auto tb = daemon_attrs(p.top[IPVS_CMD_ATTR_DAEMON]);
  CHECK(tb[IPVS_DAEMON_ATTR_MCAST_GROUP] == nullptr);
  REQUIRE(tb[IPVS_DAEMON_ATTR_MCAST_GROUP6] != nullptr);
  CHECK(std::memcmp(nla_data(tb[IPVS_DAEMON_ATTR_MCAST_GROUP6]), ip("ff02::81").bytes.data(), 16) == 0);

  auto stop = wire::new_message();
  REQUIRE(wire::put_header(stop.get(), kFamily, IPVS_CMD_DEL_DAEMON, NLM_F_ACK, 2) == 0);
  REQUIRE(wire::put_daemon_state(stop.get(), SyncState::backup) == 0);
  Parsed s = parse(stop.get());
  REQUIRE(s.error == 0);
  auto sb = daemon_attrs(s.top[IPVS_CMD_ATTR_DAEMON]);
  CHECK(nla_get_u32(sb[IPVS_DAEMON_ATTR_STATE]) == IP_VS_STATE_BACKUP);
  CHECK(sb[IPVS_DAEMON_ATTR_MCAST_IFN] == nullptr);
}

TEST_CASE("builders: timeouts send only the values to change", "[unit][netlink]") {
  auto msg = wire::new_message();
  REQUIRE(wire::put_header(msg.get(), kFamily, IPVS_CMD_SET_CONFIG, NLM_F_ACK, 9) == 0);
  REQUIRE(wire::put_timeouts(msg.get(), Timeouts{900, 0, 300}) == 0);
  Parsed p = parse(msg.get());
  REQUIRE(p.error == 0);
  CHECK(p.genl->cmd == IPVS_CMD_SET_CONFIG);
  CHECK(nla_get_u32(p.top[IPVS_CMD_ATTR_TIMEOUT_TCP]) == 900u);
  CHECK(p.top[IPVS_CMD_ATTR_TIMEOUT_TCP_FIN] == nullptr);
  CHECK(nla_get_u32(p.top[IPVS_CMD_ATTR_TIMEOUT_UDP]) == 300u);
}

TEST_CASE("builders: a reused message buffer yields the same bytes as a fresh one", "[unit][netlink]") {
  Service big = tcp_service();
  big.pe_name = "sip";
  big.timeout_s = 60;
  Destination d;
  d.address = ip("198.51.100.11");
  d.port = 25;

  auto reused = wire::new_message();
  REQUIRE(wire::build_operation(reused.get(), kFamily, AddService{big}, 1) == 0);
  wire::reset_message(reused.get());
  REQUIRE(wire::build_operation(reused.get(), kFamily, AddDest{big.key, d}, 2) == 0);

  auto fresh = built(AddDest{big.key, d}, 2);
  nlmsghdr* a = nlmsg_hdr(reused.get());
  nlmsghdr* b = nlmsg_hdr(fresh.get());
  REQUIRE(a->nlmsg_len == b->nlmsg_len);
  CHECK(std::memcmp(a, b, a->nlmsg_len) == 0);
}

TEST_CASE("builders: a scheduler name longer than the buffer is refused, not truncated", "[unit][netlink]") {
  Service s = tcp_service();
  s.scheduler = std::string(2 * wire::kMessageSize, 'x');
  auto msg = wire::new_message();
  CHECK(wire::build_operation(msg.get(), kFamily, AddService{s}, 1) < 0);
}
