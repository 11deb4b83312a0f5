// Kernel replies, laid out as ip_vs_genl_fill_service/_dest/_daemon/_info write them,
// turned into domain types by the backend's parsers.
#include <arpa/inet.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <functional>

#include "wire_support.h"

using namespace lvs::ipvs;
using namespace lvs::ipvs::test;

namespace {

// A reply message of command `cmd` whose attributes `fill` writes.
wire::MsgPtr reply(std::uint8_t cmd, const std::function<void(nl_msg*)>& fill) {
  wire::MsgPtr msg(nlmsg_alloc_size(4096));
  REQUIRE(msg);
  REQUIRE(genlmsg_put(msg.get(), 1234, 5, kFamily, 0, NLM_F_MULTI, cmd, IPVS_GENL_VERSION) != nullptr);
  fill(msg.get());
  return msg;
}

void put_addr16(nl_msg* m, int type, const IpAddress& a) { REQUIRE(nla_put(m, type, 16, a.bytes.data()) == 0); }

// STATS (32-bit counters, 64-bit bytes) as every kernel sends them.
void put_stats32(nl_msg* m, int type, std::uint32_t base) {
  nlattr* n = nla_nest_start(m, type);
  nla_put_u32(m, IPVS_STATS_ATTR_CONNS, base + 1);
  nla_put_u32(m, IPVS_STATS_ATTR_INPKTS, base + 2);
  nla_put_u32(m, IPVS_STATS_ATTR_OUTPKTS, base + 3);
  nla_put_u64(m, IPVS_STATS_ATTR_INBYTES, base + 4);
  nla_put_u64(m, IPVS_STATS_ATTR_OUTBYTES, base + 5);
  nla_put_u32(m, IPVS_STATS_ATTR_CPS, base + 6);
  nla_put_u32(m, IPVS_STATS_ATTR_INPPS, base + 7);
  nla_put_u32(m, IPVS_STATS_ATTR_OUTPPS, base + 8);
  nla_put_u32(m, IPVS_STATS_ATTR_INBPS, base + 9);
  nla_put_u32(m, IPVS_STATS_ATTR_OUTBPS, base + 10);
  nla_nest_end(m, n);
}

// STATS64: every counter 64-bit.
void put_stats64(nl_msg* m, int type, std::uint64_t base) {
  nlattr* n = nla_nest_start(m, type);
  for (int a = IPVS_STATS_ATTR_CONNS; a <= IPVS_STATS_ATTR_OUTBPS; ++a)
    nla_put_u64(m, a, base + static_cast<std::uint64_t>(a));
  nla_nest_end(m, n);
}

Stats expected64(std::uint64_t base) {
  return Stats{base + 1, base + 2, base + 3, base + 4, base + 5, base + 6, base + 7, base + 8, base + 9, base + 10};
}

}  // namespace

TEST_CASE("parsers: a kernel service entry gives key, scheduler, flags without hashed, and 64-bit stats",
          "[unit][netlink]") {
  const std::uint64_t big = 1ull << 40;  // beyond 32 bits: must come from STATS64
  auto msg = reply(IPVS_CMD_NEW_SERVICE, [&](nl_msg* m) {
    nlattr* s = nla_nest_start(m, IPVS_CMD_ATTR_SERVICE);
    nla_put_u16(m, IPVS_SVC_ATTR_AF, AF_INET);
    nla_put_u16(m, IPVS_SVC_ATTR_PROTOCOL, IPPROTO_TCP);
    put_addr16(m, IPVS_SVC_ATTR_ADDR, ip("192.0.2.10"));
    nla_put_u16(m, IPVS_SVC_ATTR_PORT, htons(995));
    nla_put_string(m, IPVS_SVC_ATTR_SCHED_NAME, "wrr");
    ip_vs_flags f{IP_VS_SVC_F_HASHED | IP_VS_SVC_F_PERSISTENT | IP_VS_SVC_F_ONEPACKET, ~0u};
    nla_put(m, IPVS_SVC_ATTR_FLAGS, sizeof f, &f);
    nla_put_u32(m, IPVS_SVC_ATTR_TIMEOUT, 1800);
    nla_put_u32(m, IPVS_SVC_ATTR_NETMASK, htonl(0xffff0000));
    put_stats32(m, IPVS_SVC_ATTR_STATS, 100);
    put_stats64(m, IPVS_SVC_ATTR_STATS64, big);
    nla_nest_end(m, s);
  });

  auto r = wire::parse_service_reply(nlmsg_hdr(msg.get()));
  REQUIRE(r.ok());
  const Service& s = r->service;
  CHECK(s.key.family == Family::inet);
  CHECK(s.key.protocol == Protocol::tcp);
  CHECK(s.key.address == ip("192.0.2.10"));
  CHECK(s.key.port == 995);
  CHECK(s.key.fwmark == 0u);
  CHECK(s.scheduler == "wrr");
  CHECK(s.flags == svc_flag::onepacket);  // persistence shows as the timeout
  CHECK(s.timeout_s == 1800u);
  CHECK(s.netmask == 0xffff0000u);
  CHECK(s.pe_name.empty());
  CHECK(r->stats == expected64(big));
  CHECK(r->destinations.empty());
}

TEST_CASE("parsers: without STATS64 (kernels before 4.1) the 32-bit STATS are used", "[unit][netlink]") {
  auto msg = reply(IPVS_CMD_NEW_SERVICE, [&](nl_msg* m) {
    nlattr* s = nla_nest_start(m, IPVS_CMD_ATTR_SERVICE);
    nla_put_u16(m, IPVS_SVC_ATTR_AF, AF_INET6);
    nla_put_u16(m, IPVS_SVC_ATTR_PROTOCOL, IPPROTO_SCTP);
    put_addr16(m, IPVS_SVC_ATTR_ADDR, ip("2001:db8::25"));
    nla_put_u16(m, IPVS_SVC_ATTR_PORT, htons(25));
    nla_put_string(m, IPVS_SVC_ATTR_SCHED_NAME, "mh");
    ip_vs_flags f{IP_VS_SVC_F_HASHED | IP_VS_SVC_F_SCHED1 | IP_VS_SVC_F_SCHED2, ~0u};
    nla_put(m, IPVS_SVC_ATTR_FLAGS, sizeof f, &f);
    nla_put_u32(m, IPVS_SVC_ATTR_TIMEOUT, 0);
    nla_put_u32(m, IPVS_SVC_ATTR_NETMASK, 128);
    nla_put_string(m, IPVS_SVC_ATTR_PE_NAME, "sip");
    put_stats32(m, IPVS_SVC_ATTR_STATS, 1000);
    nla_nest_end(m, s);
  });
  auto r = wire::parse_service_reply(nlmsg_hdr(msg.get()));
  REQUIRE(r.ok());
  CHECK(r->service.key.family == Family::inet6);
  CHECK(r->service.key.protocol == Protocol::sctp);
  CHECK(r->service.key.address == ip("2001:db8::25"));
  CHECK(r->service.netmask == 128u);  // IPv6: a prefix length, not byte-swapped
  CHECK(r->service.pe_name == "sip");
  CHECK(r->service.flags == (svc_flag::sched1 | svc_flag::sched2));
  CHECK(r->stats == Stats{1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010});
}

TEST_CASE("parsers: a fwmark service entry has the mark and a default address", "[unit][netlink]") {
  auto msg = reply(IPVS_CMD_NEW_SERVICE, [&](nl_msg* m) {
    nlattr* s = nla_nest_start(m, IPVS_CMD_ATTR_SERVICE);
    nla_put_u16(m, IPVS_SVC_ATTR_AF, AF_INET6);
    nla_put_u32(m, IPVS_SVC_ATTR_FWMARK, 7);
    nla_put_string(m, IPVS_SVC_ATTR_SCHED_NAME, "rr");
    ip_vs_flags f{IP_VS_SVC_F_HASHED, ~0u};
    nla_put(m, IPVS_SVC_ATTR_FLAGS, sizeof f, &f);
    nla_put_u32(m, IPVS_SVC_ATTR_TIMEOUT, 0);
    nla_put_u32(m, IPVS_SVC_ATTR_NETMASK, 128);
    nla_nest_end(m, s);
  });
  auto r = wire::parse_service_reply(nlmsg_hdr(msg.get()));
  REQUIRE(r.ok());
  ServiceKey want;
  want.family = Family::inet6;
  want.fwmark = 7;
  CHECK(r->service.key == want);
  CHECK(r->service.flags == 0u);
}

TEST_CASE("parsers: a kernel destination entry gives method, weight, thresholds, tunnel, conns and stats",
          "[unit][netlink]") {
  auto msg = reply(IPVS_CMD_NEW_DEST, [&](nl_msg* m) {
    nlattr* d = nla_nest_start(m, IPVS_CMD_ATTR_DEST);
    put_addr16(m, IPVS_DEST_ATTR_ADDR, ip("2001:db8::11"));
    nla_put_u16(m, IPVS_DEST_ATTR_PORT, htons(993));
    nla_put_u32(m, IPVS_DEST_ATTR_FWD_METHOD, IP_VS_CONN_F_TUNNEL);
    nla_put_u32(m, IPVS_DEST_ATTR_WEIGHT, 0);
    nla_put_u8(m, IPVS_DEST_ATTR_TUN_TYPE, IP_VS_CONN_F_TUNNEL_TYPE_GUE);
    nla_put_u16(m, IPVS_DEST_ATTR_TUN_PORT, htons(5555));
    nla_put_u16(m, IPVS_DEST_ATTR_TUN_FLAGS, IP_VS_TUNNEL_ENCAP_FLAG_CSUM);
    nla_put_u32(m, IPVS_DEST_ATTR_U_THRESH, 500);
    nla_put_u32(m, IPVS_DEST_ATTR_L_THRESH, 50);
    nla_put_u32(m, IPVS_DEST_ATTR_ACTIVE_CONNS, 3);
    nla_put_u32(m, IPVS_DEST_ATTR_INACT_CONNS, 4);
    nla_put_u32(m, IPVS_DEST_ATTR_PERSIST_CONNS, 5);
    nla_put_u16(m, IPVS_DEST_ATTR_ADDR_FAMILY, AF_INET6);
    put_stats32(m, IPVS_DEST_ATTR_STATS, 0);
    put_stats64(m, IPVS_DEST_ATTR_STATS64, 7);
    nla_nest_end(m, d);
  });
  // The service is IPv4: the entry's own family attribute wins (a mixed-family tunnel).
  auto r = wire::parse_dest_reply(nlmsg_hdr(msg.get()), Family::inet);
  REQUIRE(r.ok());
  const Destination& d = r->dest;
  CHECK(d.address == ip("2001:db8::11"));
  CHECK(d.family == Family::inet6);
  CHECK(d.port == 993);
  CHECK(d.forward == Forward::tunnel);
  CHECK(d.weight == 0u);
  CHECK(d.tunnel_type == TunnelType::gue);
  CHECK(d.tunnel_port == 5555);
  CHECK(d.tunnel_flags == tun_flag::csum);
  CHECK(d.upper_threshold == 500u);
  CHECK(d.lower_threshold == 50u);
  CHECK(r->active_conns == 3u);
  CHECK(r->inactive_conns == 4u);
  CHECK(r->persistent_conns == 5u);
  CHECK(r->stats == expected64(7));
}

TEST_CASE("parsers: a destination without a family attribute (old kernels) takes the service's", "[unit][netlink]") {
  auto msg = reply(IPVS_CMD_NEW_DEST, [&](nl_msg* m) {
    nlattr* d = nla_nest_start(m, IPVS_CMD_ATTR_DEST);
    put_addr16(m, IPVS_DEST_ATTR_ADDR, ip("198.51.100.12"));
    nla_put_u16(m, IPVS_DEST_ATTR_PORT, htons(110));
    nla_put_u32(m, IPVS_DEST_ATTR_FWD_METHOD, IP_VS_CONN_F_DROUTE);
    nla_put_u32(m, IPVS_DEST_ATTR_WEIGHT, 5);
    nla_nest_end(m, d);
  });
  auto r = wire::parse_dest_reply(nlmsg_hdr(msg.get()), Family::inet);
  REQUIRE(r.ok());
  CHECK(r->dest.family == Family::inet);
  CHECK(r->dest.address == ip("198.51.100.12"));
  CHECK(r->dest.forward == Forward::droute);
  CHECK(r->dest.weight == 5u);
  CHECK(r->stats == Stats{});
}

TEST_CASE("parsers: what a builder writes, the parser reads back equal", "[unit][netlink]") {
  // A request's nested service and destination use the reply's layout, so a builder
  // followed by a parser must be the identity on every attribute.
  Service v4;
  v4.key.address = ip("192.0.2.10");
  v4.key.port = 25;
  v4.scheduler = "sh";
  v4.flags = svc_flag::sched1 | svc_flag::sched2 | svc_flag::onepacket;
  v4.timeout_s = 600;
  v4.netmask = 0xffffff00;
  Service v6;
  v6.key.family = Family::inet6;
  v6.key.protocol = Protocol::udp;
  v6.key.address = ip("2001:db8::10");
  v6.key.port = 53;
  v6.scheduler = "rr";
  v6.netmask = 128;
  v6.pe_name = "sip";
  Service mark;
  mark.key.family = Family::inet;
  mark.key.fwmark = 99;
  mark.scheduler = "fo";
  Service s = GENERATE_COPY(v4, v6, mark);

  Destination d;
  d.address = ip("2001:db8::99");
  d.family = Family::inet6;
  d.port = 8080;
  d.forward = Forward::tunnel;
  d.weight = 12345;
  d.upper_threshold = 7;
  d.lower_threshold = 3;
  d.tunnel_type = TunnelType::gre;
  d.tunnel_port = 0;
  d.tunnel_flags = tun_flag::remcsum;

  auto msg = wire::new_message();
  REQUIRE(wire::build_operation(msg.get(), kFamily, AddDest{s.key, d}, 1) == 0);
  auto back_dest = wire::parse_dest_reply(nlmsg_hdr(msg.get()), s.key.family);
  REQUIRE(back_dest.ok());
  CHECK(back_dest->dest == d);

  wire::reset_message(msg.get());
  REQUIRE(wire::build_operation(msg.get(), kFamily, AddService{s}, 2) == 0);
  auto back = wire::parse_service_reply(nlmsg_hdr(msg.get()));
  REQUIRE(back.ok());
  CHECK(back->service == s);
}

TEST_CASE("parsers: info, timeouts and sync daemon replies", "[unit][netlink]") {
  auto info = reply(IPVS_CMD_SET_INFO, [](nl_msg* m) {
    nla_put_u32(m, IPVS_INFO_ATTR_VERSION, 0x010201);
    nla_put_u32(m, IPVS_INFO_ATTR_CONN_TAB_SIZE, 4096);
  });
  auto i = wire::parse_info_reply(nlmsg_hdr(info.get()));
  REQUIRE(i.ok());
  CHECK(*i == Info{0x010201, 4096});
  CHECK(i->version_string() == "1.2.1");

  auto cfg = reply(IPVS_CMD_SET_CONFIG, [](nl_msg* m) {
    nla_put_u32(m, IPVS_CMD_ATTR_TIMEOUT_TCP, 900);
    nla_put_u32(m, IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, 120);
    nla_put_u32(m, IPVS_CMD_ATTR_TIMEOUT_UDP, 300);
  });
  auto t = wire::parse_timeouts_reply(nlmsg_hdr(cfg.get()));
  REQUIRE(t.ok());
  CHECK(*t == Timeouts{900, 120, 300});

  auto daemon = reply(IPVS_CMD_NEW_DAEMON, [](nl_msg* m) {
    nlattr* n = nla_nest_start(m, IPVS_CMD_ATTR_DAEMON);
    nla_put_u32(m, IPVS_DAEMON_ATTR_STATE, IP_VS_STATE_MASTER);
    nla_put_string(m, IPVS_DAEMON_ATTR_MCAST_IFN, "eth1");
    nla_put_u32(m, IPVS_DAEMON_ATTR_SYNC_ID, 9);
    nla_put_u16(m, IPVS_DAEMON_ATTR_SYNC_MAXLEN, 1472);
    nla_put_u16(m, IPVS_DAEMON_ATTR_MCAST_PORT, 8848);
    nla_put_u8(m, IPVS_DAEMON_ATTR_MCAST_TTL, 1);
    nla_put(m, IPVS_DAEMON_ATTR_MCAST_GROUP6, 16, ip("ff02::1:81").bytes.data());
    nla_nest_end(m, n);
  });
  auto d = wire::parse_daemon_reply(nlmsg_hdr(daemon.get()));
  REQUIRE(d.ok());
  SyncDaemon want;
  want.state = SyncState::master;
  want.interface = "eth1";
  want.sync_id = 9;
  want.max_len = 1472;
  want.group = ip("ff02::1:81");
  want.port = 8848;
  want.ttl = 1;
  CHECK(*d == want);
}

TEST_CASE("parsers: a malformed entry is an EPROTO error, not a crash", "[unit][netlink]") {
  auto no_family = reply(IPVS_CMD_NEW_SERVICE, [](nl_msg* m) {
    nlattr* s = nla_nest_start(m, IPVS_CMD_ATTR_SERVICE);
    nla_put_u16(m, IPVS_SVC_ATTR_PORT, htons(25));
    nla_nest_end(m, s);
  });
  auto r = wire::parse_service_reply(nlmsg_hdr(no_family.get()));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == EPROTO);

  auto short_addr = reply(IPVS_CMD_NEW_DEST, [](nl_msg* m) {
    nlattr* d = nla_nest_start(m, IPVS_CMD_ATTR_DEST);
    nla_put(m, IPVS_DEST_ATTR_ADDR, 4, ip("198.51.100.1").bytes.data());  // 4 bytes but IPv6
    nla_put_u16(m, IPVS_DEST_ATTR_PORT, htons(25));
    nla_put_u16(m, IPVS_DEST_ATTR_ADDR_FAMILY, AF_INET6);
    nla_nest_end(m, d);
  });
  auto d = wire::parse_dest_reply(nlmsg_hdr(short_addr.get()), Family::inet6);
  REQUIRE_FALSE(d.ok());
  CHECK(d.error().code == EPROTO);

  auto unterminated = reply(IPVS_CMD_NEW_SERVICE, [](nl_msg* m) {
    nlattr* s = nla_nest_start(m, IPVS_CMD_ATTR_SERVICE);
    nla_put_u16(m, IPVS_SVC_ATTR_AF, AF_INET);
    nla_put_u32(m, IPVS_SVC_ATTR_FWMARK, 1);
    nla_put(m, IPVS_SVC_ATTR_SCHED_NAME, 2, "rr");  // no NUL
    nla_nest_end(m, s);
  });
  auto u = wire::parse_service_reply(nlmsg_hdr(unterminated.get()));
  REQUIRE_FALSE(u.ok());
  CHECK(u.error().code == EPROTO);

  auto empty = reply(IPVS_CMD_NEW_SERVICE, [](nl_msg*) {});
  CHECK_FALSE(wire::parse_service_reply(nlmsg_hdr(empty.get())).ok());
  CHECK_FALSE(wire::parse_info_reply(nlmsg_hdr(empty.get())).ok());
}

TEST_CASE("parsers: an attribute longer than its nest, or shorter than its type, is EPROTO", "[unit][netlink]") {
  auto overlong = reply(IPVS_CMD_NEW_DEST, [](nl_msg* m) {
    nlattr* d = nla_nest_start(m, IPVS_CMD_ATTR_DEST);
    nla_put(m, IPVS_DEST_ATTR_ADDR, 16, ip("2001:db8::1").bytes.data());
    nla_put_u16(m, IPVS_DEST_ATTR_PORT, htons(25));
    nla_nest_end(m, d);
    // The port's length now claims bytes past the nest's end.
    auto* port = reinterpret_cast<nlattr*>(reinterpret_cast<char*>(nla_data(d)) + NLA_ALIGN(NLA_HDRLEN + 16));
    port->nla_len = 64;
  });
  auto o = wire::parse_dest_reply(nlmsg_hdr(overlong.get()), Family::inet6);
  REQUIRE_FALSE(o.ok());
  CHECK(o.error().code == EPROTO);

  auto short_port = reply(IPVS_CMD_NEW_DEST, [](nl_msg* m) {
    nlattr* d = nla_nest_start(m, IPVS_CMD_ATTR_DEST);
    nla_put(m, IPVS_DEST_ATTR_ADDR, 16, ip("2001:db8::1").bytes.data());
    nla_put_u8(m, IPVS_DEST_ATTR_PORT, 25);  // one byte where a u16 belongs
    nla_nest_end(m, d);
  });
  auto s = wire::parse_dest_reply(nlmsg_hdr(short_port.get()), Family::inet6);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == EPROTO);
}
