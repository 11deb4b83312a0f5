#include "ipvs/netlink_messages.h"

#include <arpa/inet.h>
#include <netlink/genl/genl.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string_view>

#include "common/overloaded.h"

namespace lvs::ipvs::wire {

namespace {

constexpr std::size_t kAddrLen = 16;  // sizeof(union nf_inet_addr)

constexpr nla_policy make(std::uint16_t type, std::uint16_t minlen = 0, std::uint16_t maxlen = 0) {
  nla_policy p{};
  p.type = type;
  p.minlen = minlen;
  p.maxlen = maxlen;
  return p;
}

constexpr std::uint16_t af_of(Family f) { return f == Family::inet6 ? AF_INET6 : AF_INET; }

std::uint16_t wire_port(std::uint16_t port) { return htons(port); }

int put_addr(nl_msg* msg, int type, const IpAddress& a) {
  // IPv4 sits in the first four bytes; the rest of IpAddress::bytes is zero.
  return nla_put(msg, type, kAddrLen, a.bytes.data());
}

std::uint32_t wire_netmask(const Service& s) {
  return s.key.family == Family::inet ? htonl(s.netmask) : s.netmask;
}

Error parse_error(const char* what, int nl_err) {
  return make_error(EPROTO, std::string("cannot parse the kernel's ") + what + " (" +
                                nl_geterror(nl_err) + ")");
}

Error missing(const char* what, const char* attr) {
  return make_error(EPROTO, std::string("the kernel's ") + what + " lacks " + attr);
}

std::optional<IpAddress> read_addr(nlattr* a, Family family) {
  std::size_t need = family == Family::inet6 ? 16 : 4;
  if (a == nullptr || static_cast<std::size_t>(nla_len(a)) < need) return std::nullopt;
  IpAddress out;
  out.family = family;
  std::memcpy(out.bytes.data(), nla_data(a), need);
  return out;
}

std::optional<Family> family_of(std::uint16_t af) {
  if (af == AF_INET) return Family::inet;
  if (af == AF_INET6) return Family::inet6;
  return std::nullopt;
}

// The checks libnl's nla_parse makes with a policy (length bounds, NUL-terminated
// strings), written inline: libnl's generic validation costs more than the rest of a
// destination reply's handling, and read_table parses 50,000 of them. Attributes past
// `max` are skipped, a truncated attribute or a length off the policy is -NLE_RANGE
// or -NLE_INVAL, as libnl reports them.
int walk_attrs(nlattr** tb, int max, nlattr* head, int len, const nla_policy* policy) {
  std::memset(tb, 0, sizeof(nlattr*) * static_cast<std::size_t>(max + 1));
  char* p = reinterpret_cast<char*>(head);
  while (len >= static_cast<int>(sizeof(nlattr))) {
    auto* a = reinterpret_cast<nlattr*>(p);
    if (a->nla_len < sizeof(nlattr) || a->nla_len > static_cast<unsigned>(len)) return -NLE_RANGE;
    const int type = a->nla_type & NLA_TYPE_MASK;
    if (type <= max) {
      const nla_policy& pt = policy[type];
      const int dlen = a->nla_len - NLA_HDRLEN;
      int minlen = pt.minlen;
      if (minlen == 0) {
        switch (pt.type) {
          case NLA_U8: minlen = 1; break;
          case NLA_U16: minlen = 2; break;
          case NLA_U32: minlen = 4; break;
          case NLA_U64: minlen = 8; break;
          case NLA_STRING: minlen = 1; break;
          default: break;
        }
      }
      if (dlen < minlen) return -NLE_RANGE;
      if (pt.maxlen != 0 && dlen > pt.maxlen) return -NLE_RANGE;
      if (pt.type == NLA_STRING && (dlen == 0 || p[NLA_HDRLEN + dlen - 1] != '\0')) return -NLE_INVAL;
      tb[type] = a;
    }
    const int step = NLA_ALIGN(a->nla_len);
    if (step >= len) break;
    p += step;
    len -= step;
  }
  return 0;
}

int walk_nested(nlattr** tb, int max, nlattr* nest, const nla_policy* policy) {
  return walk_attrs(tb, max, static_cast<nlattr*>(nla_data(nest)), nla_len(nest), policy);
}

std::string read_string(nlattr* a) {
  // The policy guarantees NUL termination.
  return a == nullptr ? std::string() : std::string(nla_get_string(a));
}

}  // namespace

constinit const std::array<nla_policy, IPVS_CMD_ATTR_MAX + 1> cmd_policy = [] {
  std::array<nla_policy, IPVS_CMD_ATTR_MAX + 1> p{};
  p[IPVS_CMD_ATTR_UNSPEC] = make(NLA_UNSPEC);
  p[IPVS_CMD_ATTR_SERVICE] = make(NLA_NESTED);
  p[IPVS_CMD_ATTR_DEST] = make(NLA_NESTED);
  p[IPVS_CMD_ATTR_DAEMON] = make(NLA_NESTED);
  p[IPVS_CMD_ATTR_TIMEOUT_TCP] = make(NLA_U32);
  p[IPVS_CMD_ATTR_TIMEOUT_TCP_FIN] = make(NLA_U32);
  p[IPVS_CMD_ATTR_TIMEOUT_UDP] = make(NLA_U32);
  return p;
}();

constinit const std::array<nla_policy, IPVS_SVC_ATTR_MAX + 1> service_policy = [] {
  std::array<nla_policy, IPVS_SVC_ATTR_MAX + 1> p{};
  p[IPVS_SVC_ATTR_UNSPEC] = make(NLA_UNSPEC);
  p[IPVS_SVC_ATTR_AF] = make(NLA_U16);
  p[IPVS_SVC_ATTR_PROTOCOL] = make(NLA_U16);
  p[IPVS_SVC_ATTR_ADDR] = make(NLA_UNSPEC, 4, kAddrLen);
  p[IPVS_SVC_ATTR_PORT] = make(NLA_U16);
  p[IPVS_SVC_ATTR_FWMARK] = make(NLA_U32);
  p[IPVS_SVC_ATTR_SCHED_NAME] = make(NLA_STRING, 0, IP_VS_SCHEDNAME_MAXLEN);
  p[IPVS_SVC_ATTR_FLAGS] = make(NLA_UNSPEC, sizeof(ip_vs_flags), sizeof(ip_vs_flags));
  p[IPVS_SVC_ATTR_TIMEOUT] = make(NLA_U32);
  p[IPVS_SVC_ATTR_NETMASK] = make(NLA_U32);
  p[IPVS_SVC_ATTR_STATS] = make(NLA_NESTED);
  p[IPVS_SVC_ATTR_PE_NAME] = make(NLA_STRING, 0, IP_VS_PENAME_MAXLEN);
  p[IPVS_SVC_ATTR_STATS64] = make(NLA_NESTED);
  return p;
}();

constinit const std::array<nla_policy, IPVS_DEST_ATTR_MAX + 1> dest_policy = [] {
  std::array<nla_policy, IPVS_DEST_ATTR_MAX + 1> p{};
  p[IPVS_DEST_ATTR_UNSPEC] = make(NLA_UNSPEC);
  p[IPVS_DEST_ATTR_ADDR] = make(NLA_UNSPEC, 4, kAddrLen);
  p[IPVS_DEST_ATTR_PORT] = make(NLA_U16);
  p[IPVS_DEST_ATTR_FWD_METHOD] = make(NLA_U32);
  p[IPVS_DEST_ATTR_WEIGHT] = make(NLA_U32);
  p[IPVS_DEST_ATTR_U_THRESH] = make(NLA_U32);
  p[IPVS_DEST_ATTR_L_THRESH] = make(NLA_U32);
  p[IPVS_DEST_ATTR_ACTIVE_CONNS] = make(NLA_U32);
  p[IPVS_DEST_ATTR_INACT_CONNS] = make(NLA_U32);
  p[IPVS_DEST_ATTR_PERSIST_CONNS] = make(NLA_U32);
  p[IPVS_DEST_ATTR_STATS] = make(NLA_NESTED);
  p[IPVS_DEST_ATTR_ADDR_FAMILY] = make(NLA_U16);
  p[IPVS_DEST_ATTR_STATS64] = make(NLA_NESTED);
  p[IPVS_DEST_ATTR_TUN_TYPE] = make(NLA_U8);
  p[IPVS_DEST_ATTR_TUN_PORT] = make(NLA_U16);
  p[IPVS_DEST_ATTR_TUN_FLAGS] = make(NLA_U16);
  return p;
}();

constinit const std::array<nla_policy, IPVS_DAEMON_ATTR_MAX + 1> daemon_policy = [] {
  std::array<nla_policy, IPVS_DAEMON_ATTR_MAX + 1> p{};
  p[IPVS_DAEMON_ATTR_UNSPEC] = make(NLA_UNSPEC);
  p[IPVS_DAEMON_ATTR_STATE] = make(NLA_U32);
  p[IPVS_DAEMON_ATTR_MCAST_IFN] = make(NLA_STRING, 0, IP_VS_IFNAME_MAXLEN);
  p[IPVS_DAEMON_ATTR_SYNC_ID] = make(NLA_U32);
  p[IPVS_DAEMON_ATTR_SYNC_MAXLEN] = make(NLA_U16);
  p[IPVS_DAEMON_ATTR_MCAST_GROUP] = make(NLA_U32);
  p[IPVS_DAEMON_ATTR_MCAST_GROUP6] = make(NLA_UNSPEC, 16, 16);
  p[IPVS_DAEMON_ATTR_MCAST_PORT] = make(NLA_U16);
  p[IPVS_DAEMON_ATTR_MCAST_TTL] = make(NLA_U8);
  return p;
}();

// Widths differ between STATS (mostly u32) and STATS64 (all u64), so only presence and
// a minimum length are checked here; parse_stats reads by actual length.
constinit const std::array<nla_policy, IPVS_STATS_ATTR_MAX + 1> stats_policy = [] {
  std::array<nla_policy, IPVS_STATS_ATTR_MAX + 1> p{};
  p[IPVS_STATS_ATTR_UNSPEC] = make(NLA_UNSPEC);
  p[IPVS_STATS_ATTR_CONNS] = make(NLA_UNSPEC, 4);
  p[IPVS_STATS_ATTR_INPKTS] = make(NLA_UNSPEC, 4);
  p[IPVS_STATS_ATTR_OUTPKTS] = make(NLA_UNSPEC, 4);
  p[IPVS_STATS_ATTR_INBYTES] = make(NLA_UNSPEC, 4);
  p[IPVS_STATS_ATTR_OUTBYTES] = make(NLA_UNSPEC, 4);
  p[IPVS_STATS_ATTR_CPS] = make(NLA_UNSPEC, 4);
  p[IPVS_STATS_ATTR_INPPS] = make(NLA_UNSPEC, 4);
  p[IPVS_STATS_ATTR_OUTPPS] = make(NLA_UNSPEC, 4);
  p[IPVS_STATS_ATTR_INBPS] = make(NLA_UNSPEC, 4);
  p[IPVS_STATS_ATTR_OUTBPS] = make(NLA_UNSPEC, 4);
  p[IPVS_STATS_ATTR_PAD] = make(NLA_UNSPEC);
  return p;
}();

constinit const std::array<nla_policy, IPVS_INFO_ATTR_MAX + 1> info_policy = [] {
  std::array<nla_policy, IPVS_INFO_ATTR_MAX + 1> p{};
  p[IPVS_INFO_ATTR_UNSPEC] = make(NLA_UNSPEC);
  p[IPVS_INFO_ATTR_VERSION] = make(NLA_U32);
  p[IPVS_INFO_ATTR_CONN_TAB_SIZE] = make(NLA_U32);
  return p;
}();

MsgPtr new_message() { return MsgPtr(nlmsg_alloc_size(kMessageSize)); }

void reset_message(nl_msg* msg) {
  // libnl appends at nlmsg_len; putting it back to an empty header makes the buffer
  // reusable (nlmsg_put rewrites every header field).
  nlmsg_hdr(msg)->nlmsg_len = NLMSG_HDRLEN;
}

int put_header(nl_msg* msg, int family_id, std::uint8_t cmd, int nl_flags, std::uint32_t seq) {
  void* hdr = genlmsg_put(msg, NL_AUTO_PORT, seq, family_id, 0, nl_flags | NLM_F_REQUEST, cmd,
                          IPVS_GENL_VERSION);
  if (hdr == nullptr) return -NLE_NOMEM;
  // genlmsg_put leaves the reserved field as it found it; keep it zero on reused buffers.
  static_cast<genlmsghdr*>(hdr)->reserved = 0;
  return 0;
}

namespace {

int put_key_attrs(nl_msg* msg, const ServiceKey& k) {
  int err = nla_put_u16(msg, IPVS_SVC_ATTR_AF, af_of(k.family));
  if (err == 0 && k.is_fwmark()) return nla_put_u32(msg, IPVS_SVC_ATTR_FWMARK, k.fwmark);
  if (err == 0) err = nla_put_u16(msg, IPVS_SVC_ATTR_PROTOCOL, static_cast<std::uint16_t>(k.protocol));
  if (err == 0) err = put_addr(msg, IPVS_SVC_ATTR_ADDR, k.address);
  if (err == 0) err = nla_put_u16(msg, IPVS_SVC_ATTR_PORT, wire_port(k.port));
  return err;
}

int put_dest_key_attrs(nl_msg* msg, const IpAddress& address, std::uint16_t port) {
  int err = put_addr(msg, IPVS_DEST_ATTR_ADDR, address);
  if (err == 0) err = nla_put_u16(msg, IPVS_DEST_ATTR_PORT, wire_port(port));
  if (err == 0) err = nla_put_u16(msg, IPVS_DEST_ATTR_ADDR_FAMILY, af_of(address.family));
  return err;
}

// Runs `fill` inside a nested attribute of type `type`.
template <class Fill>
int nested(nl_msg* msg, int type, Fill&& fill) {
  nlattr* nest = nla_nest_start(msg, type);
  if (nest == nullptr) return -NLE_NOMEM;
  int err = fill();
  if (err != 0) {
    nla_nest_cancel(msg, nest);
    return err;
  }
  return nla_nest_end(msg, nest);
}

}  // namespace

int put_service_key(nl_msg* msg, const ServiceKey& key) {
  return nested(msg, IPVS_CMD_ATTR_SERVICE, [&] { return put_key_attrs(msg, key); });
}

int put_service(nl_msg* msg, const Service& s) {
  return nested(msg, IPVS_CMD_ATTR_SERVICE, [&] {
    int err = put_key_attrs(msg, s.key);
    if (err == 0) err = nla_put_string(msg, IPVS_SVC_ATTR_SCHED_NAME, s.scheduler.c_str());
    if (err == 0) {
      ip_vs_flags f{};
      // The kernel persists only with the flag set: it follows the timeout.
      f.flags = s.flags & ~(svc_flag::hashed | svc_flag::persistent);
      if (s.timeout_s > 0) f.flags |= svc_flag::persistent;
      f.mask = ~0u;  // the request states every flag, so an edit also clears
      err = nla_put(msg, IPVS_SVC_ATTR_FLAGS, sizeof f, &f);
    }
    if (err == 0) err = nla_put_u32(msg, IPVS_SVC_ATTR_TIMEOUT, s.timeout_s);
    if (err == 0) err = nla_put_u32(msg, IPVS_SVC_ATTR_NETMASK, wire_netmask(s));
    if (err == 0 && !s.pe_name.empty())
      err = nla_put_string(msg, IPVS_SVC_ATTR_PE_NAME, s.pe_name.c_str());
    return err;
  });
}

int put_dest(nl_msg* msg, const Destination& d) {
  return nested(msg, IPVS_CMD_ATTR_DEST, [&] {
    int err = put_dest_key_attrs(msg, d.address, d.port);
    if (err == 0) err = nla_put_u32(msg, IPVS_DEST_ATTR_FWD_METHOD, static_cast<std::uint32_t>(d.forward));
    if (err == 0) err = nla_put_u32(msg, IPVS_DEST_ATTR_WEIGHT, d.weight);
    if (err == 0) err = nla_put_u32(msg, IPVS_DEST_ATTR_U_THRESH, d.upper_threshold);
    if (err == 0) err = nla_put_u32(msg, IPVS_DEST_ATTR_L_THRESH, d.lower_threshold);
    // The kernel stores and reports the tunnel attributes whatever the method, so they
    // are always sent: what is read back is then exactly what was written.
    if (err == 0) err = nla_put_u8(msg, IPVS_DEST_ATTR_TUN_TYPE, static_cast<std::uint8_t>(d.tunnel_type));
    if (err == 0) err = nla_put_u16(msg, IPVS_DEST_ATTR_TUN_PORT, wire_port(d.tunnel_port));
    if (err == 0) err = nla_put_u16(msg, IPVS_DEST_ATTR_TUN_FLAGS, d.tunnel_flags);
    return err;
  });
}

int put_dest_key(nl_msg* msg, const DestKey& d) {
  return nested(msg, IPVS_CMD_ATTR_DEST, [&] { return put_dest_key_attrs(msg, d.address, d.port); });
}

int put_daemon(nl_msg* msg, const SyncDaemon& d) {
  return nested(msg, IPVS_CMD_ATTR_DAEMON, [&] {
    int err = nla_put_u32(msg, IPVS_DAEMON_ATTR_STATE, static_cast<std::uint32_t>(d.state));
    if (err == 0) err = nla_put_string(msg, IPVS_DAEMON_ATTR_MCAST_IFN, d.interface.c_str());
    if (err == 0) err = nla_put_u32(msg, IPVS_DAEMON_ATTR_SYNC_ID, d.sync_id);
    if (err == 0 && d.max_len != 0) err = nla_put_u16(msg, IPVS_DAEMON_ATTR_SYNC_MAXLEN, d.max_len);
    if (err == 0 && d.group) {
      if (d.group->is_v6())
        err = nla_put(msg, IPVS_DAEMON_ATTR_MCAST_GROUP6, 16, d.group->bytes.data());
      else
        err = nla_put(msg, IPVS_DAEMON_ATTR_MCAST_GROUP, 4, d.group->bytes.data());
    }
    // The sync port is a plain u16 (host order), unlike service and destination ports.
    if (err == 0 && d.port != 0) err = nla_put_u16(msg, IPVS_DAEMON_ATTR_MCAST_PORT, d.port);
    if (err == 0 && d.ttl != 0) err = nla_put_u8(msg, IPVS_DAEMON_ATTR_MCAST_TTL, d.ttl);
    return err;
  });
}

int put_daemon_state(nl_msg* msg, SyncState state) {
  return nested(msg, IPVS_CMD_ATTR_DAEMON, [&] {
    return nla_put_u32(msg, IPVS_DAEMON_ATTR_STATE, static_cast<std::uint32_t>(state));
  });
}

int put_timeouts(nl_msg* msg, const Timeouts& t) {
  int err = 0;
  if (t.tcp_s != 0) err = nla_put_u32(msg, IPVS_CMD_ATTR_TIMEOUT_TCP, t.tcp_s);
  if (err == 0 && t.tcp_fin_s != 0) err = nla_put_u32(msg, IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, t.tcp_fin_s);
  if (err == 0 && t.udp_s != 0) err = nla_put_u32(msg, IPVS_CMD_ATTR_TIMEOUT_UDP, t.udp_s);
  return err;
}

std::uint8_t command_of(const Operation& op) {
  return std::visit(overloaded{
                        [](const AddService&) { return std::uint8_t{IPVS_CMD_NEW_SERVICE}; },
                        [](const EditService&) { return std::uint8_t{IPVS_CMD_SET_SERVICE}; },
                        [](const DeleteService&) { return std::uint8_t{IPVS_CMD_DEL_SERVICE}; },
                        [](const AddDest&) { return std::uint8_t{IPVS_CMD_NEW_DEST}; },
                        [](const EditDest&) { return std::uint8_t{IPVS_CMD_SET_DEST}; },
                        [](const DeleteDest&) { return std::uint8_t{IPVS_CMD_DEL_DEST}; },
                    },
                    op);
}

int build_operation(nl_msg* msg, int family_id, const Operation& op, std::uint32_t seq) {
  int err = put_header(msg, family_id, command_of(op), NLM_F_ACK, seq);
  if (err != 0) return err;
  return std::visit(
      overloaded{
          [&](const AddService& o) { return put_service(msg, o.service); },
          [&](const EditService& o) { return put_service(msg, o.service); },
          [&](const DeleteService& o) { return put_service_key(msg, o.key); },
          [&](const AddDest& o) {
            int e = put_service_key(msg, o.service);
            return e != 0 ? e : put_dest(msg, o.dest);
          },
          [&](const EditDest& o) {
            int e = put_service_key(msg, o.service);
            return e != 0 ? e : put_dest(msg, o.dest);
          },
          [&](const DeleteDest& o) {
            int e = put_service_key(msg, o.service);
            return e != 0 ? e : put_dest_key(msg, o.dest);
          },
      },
      op);
}

// ---- parsers ---------------------------------------------------------------------

Result<Stats> parse_stats(nlattr* nest) {
  nlattr* tb[IPVS_STATS_ATTR_MAX + 1];
  int err = walk_nested(tb, IPVS_STATS_ATTR_MAX, nest, stats_policy.data());
  if (err < 0) return parse_error("statistics", err);
  // Read in place (the policy guarantees 4 bytes): 20 libnl calls per reply otherwise.
  auto get = [&](int type) -> std::uint64_t {
    const nlattr* a = tb[type];
    if (a == nullptr) return 0;
    const char* data = reinterpret_cast<const char*>(a) + NLA_HDRLEN;
    if (a->nla_len >= NLA_HDRLEN + 8) {
      std::uint64_t v;
      std::memcpy(&v, data, sizeof v);
      return v;
    }
    std::uint32_t v;
    std::memcpy(&v, data, sizeof v);
    return v;
  };
  Stats s;
  s.conns = get(IPVS_STATS_ATTR_CONNS);
  s.inpkts = get(IPVS_STATS_ATTR_INPKTS);
  s.outpkts = get(IPVS_STATS_ATTR_OUTPKTS);
  s.inbytes = get(IPVS_STATS_ATTR_INBYTES);
  s.outbytes = get(IPVS_STATS_ATTR_OUTBYTES);
  s.cps = get(IPVS_STATS_ATTR_CPS);
  s.inpps = get(IPVS_STATS_ATTR_INPPS);
  s.outpps = get(IPVS_STATS_ATTR_OUTPPS);
  s.inbps = get(IPVS_STATS_ATTR_INBPS);
  s.outbps = get(IPVS_STATS_ATTR_OUTBPS);
  return s;
}

namespace {
// STATS64 when the kernel sent it (>= 4.1), else the 32-bit STATS.
Result<Stats> pick_stats(nlattr* stats64, nlattr* stats32) {
  if (stats64 != nullptr) return parse_stats(stats64);
  if (stats32 != nullptr) return parse_stats(stats32);
  return Stats{};
}
}  // namespace

Result<ServiceState> parse_service(nlattr* nest) {
  nlattr* tb[IPVS_SVC_ATTR_MAX + 1];
  int err = walk_nested(tb, IPVS_SVC_ATTR_MAX, nest, service_policy.data());
  if (err < 0) return parse_error("service", err);
  if (tb[IPVS_SVC_ATTR_AF] == nullptr) return missing("service", "an address family");
  auto family = family_of(nla_get_u16(tb[IPVS_SVC_ATTR_AF]));
  if (!family) return make_error(EAFNOSUPPORT, "the kernel reported a service of an unknown address family");

  ServiceState st;
  Service& s = st.service;
  s.key.family = *family;
  if (tb[IPVS_SVC_ATTR_FWMARK] != nullptr && nla_get_u32(tb[IPVS_SVC_ATTR_FWMARK]) != 0) {
    s.key.fwmark = nla_get_u32(tb[IPVS_SVC_ATTR_FWMARK]);
  } else {
    if (tb[IPVS_SVC_ATTR_PROTOCOL] == nullptr || tb[IPVS_SVC_ATTR_PORT] == nullptr)
      return missing("service", "a protocol and port");
    auto addr = read_addr(tb[IPVS_SVC_ATTR_ADDR], *family);
    if (!addr) return missing("service", "an address");
    s.key.protocol = static_cast<Protocol>(nla_get_u16(tb[IPVS_SVC_ATTR_PROTOCOL]));
    s.key.address = *addr;
    s.key.port = ntohs(nla_get_u16(tb[IPVS_SVC_ATTR_PORT]));
  }
  s.scheduler = read_string(tb[IPVS_SVC_ATTR_SCHED_NAME]);
  s.pe_name = read_string(tb[IPVS_SVC_ATTR_PE_NAME]);
  if (tb[IPVS_SVC_ATTR_FLAGS] != nullptr) {
    ip_vs_flags f{};
    nla_memcpy(&f, tb[IPVS_SVC_ATTR_FLAGS], sizeof f);
    s.flags = f.flags & ~(svc_flag::hashed | svc_flag::persistent);
  }
  if (tb[IPVS_SVC_ATTR_TIMEOUT] != nullptr) s.timeout_s = nla_get_u32(tb[IPVS_SVC_ATTR_TIMEOUT]);
  if (tb[IPVS_SVC_ATTR_NETMASK] != nullptr) {
    std::uint32_t raw = nla_get_u32(tb[IPVS_SVC_ATTR_NETMASK]);
    s.netmask = *family == Family::inet ? ntohl(raw) : raw;
  }
  auto stats = pick_stats(tb[IPVS_SVC_ATTR_STATS64], tb[IPVS_SVC_ATTR_STATS]);
  if (!stats) return stats.error();
  st.stats = *stats;
  return st;
}

Result<DestinationState> parse_dest(nlattr* nest, Family service_family) {
  nlattr* tb[IPVS_DEST_ATTR_MAX + 1];
  int err = walk_nested(tb, IPVS_DEST_ATTR_MAX, nest, dest_policy.data());
  if (err < 0) return parse_error("destination", err);
  Family family = service_family;
  if (tb[IPVS_DEST_ATTR_ADDR_FAMILY] != nullptr) {
    auto f = family_of(nla_get_u16(tb[IPVS_DEST_ATTR_ADDR_FAMILY]));
    if (!f) return make_error(EAFNOSUPPORT, "the kernel reported a destination of an unknown address family");
    family = *f;
  }
  auto addr = read_addr(tb[IPVS_DEST_ATTR_ADDR], family);
  if (!addr || tb[IPVS_DEST_ATTR_PORT] == nullptr) return missing("destination", "an address and port");

  DestinationState st;
  Destination& d = st.dest;
  d.address = *addr;
  d.family = family;
  d.port = ntohs(nla_get_u16(tb[IPVS_DEST_ATTR_PORT]));
  auto u32 = [&](int type) { return tb[type] != nullptr ? nla_get_u32(tb[type]) : 0u; };
  d.forward = static_cast<Forward>(u32(IPVS_DEST_ATTR_FWD_METHOD) & IP_VS_CONN_F_FWD_MASK);
  d.weight = u32(IPVS_DEST_ATTR_WEIGHT);
  d.upper_threshold = u32(IPVS_DEST_ATTR_U_THRESH);
  d.lower_threshold = u32(IPVS_DEST_ATTR_L_THRESH);
  if (tb[IPVS_DEST_ATTR_TUN_TYPE] != nullptr)
    d.tunnel_type = static_cast<TunnelType>(nla_get_u8(tb[IPVS_DEST_ATTR_TUN_TYPE]));
  if (tb[IPVS_DEST_ATTR_TUN_PORT] != nullptr) d.tunnel_port = ntohs(nla_get_u16(tb[IPVS_DEST_ATTR_TUN_PORT]));
  if (tb[IPVS_DEST_ATTR_TUN_FLAGS] != nullptr) d.tunnel_flags = nla_get_u16(tb[IPVS_DEST_ATTR_TUN_FLAGS]);
  st.active_conns = u32(IPVS_DEST_ATTR_ACTIVE_CONNS);
  st.inactive_conns = u32(IPVS_DEST_ATTR_INACT_CONNS);
  st.persistent_conns = u32(IPVS_DEST_ATTR_PERSIST_CONNS);
  auto stats = pick_stats(tb[IPVS_DEST_ATTR_STATS64], tb[IPVS_DEST_ATTR_STATS]);
  if (!stats) return stats.error();
  st.stats = *stats;
  return st;
}

Result<SyncDaemon> parse_daemon(nlattr* nest) {
  nlattr* tb[IPVS_DAEMON_ATTR_MAX + 1];
  int err = walk_nested(tb, IPVS_DAEMON_ATTR_MAX, nest, daemon_policy.data());
  if (err < 0) return parse_error("sync daemon", err);
  if (tb[IPVS_DAEMON_ATTR_STATE] == nullptr) return missing("sync daemon", "a state");
  SyncDaemon d;
  d.state = static_cast<SyncState>(nla_get_u32(tb[IPVS_DAEMON_ATTR_STATE]));
  d.interface = read_string(tb[IPVS_DAEMON_ATTR_MCAST_IFN]);
  if (tb[IPVS_DAEMON_ATTR_SYNC_ID] != nullptr) d.sync_id = nla_get_u32(tb[IPVS_DAEMON_ATTR_SYNC_ID]);
  if (tb[IPVS_DAEMON_ATTR_SYNC_MAXLEN] != nullptr) d.max_len = nla_get_u16(tb[IPVS_DAEMON_ATTR_SYNC_MAXLEN]);
  if (tb[IPVS_DAEMON_ATTR_MCAST_GROUP] != nullptr) {
    IpAddress g;
    g.family = Family::inet;
    std::memcpy(g.bytes.data(), nla_data(tb[IPVS_DAEMON_ATTR_MCAST_GROUP]), 4);
    d.group = g;
  } else if (tb[IPVS_DAEMON_ATTR_MCAST_GROUP6] != nullptr) {
    IpAddress g;
    g.family = Family::inet6;
    std::memcpy(g.bytes.data(), nla_data(tb[IPVS_DAEMON_ATTR_MCAST_GROUP6]), 16);
    d.group = g;
  }
  if (tb[IPVS_DAEMON_ATTR_MCAST_PORT] != nullptr) d.port = nla_get_u16(tb[IPVS_DAEMON_ATTR_MCAST_PORT]);
  if (tb[IPVS_DAEMON_ATTR_MCAST_TTL] != nullptr) d.ttl = nla_get_u8(tb[IPVS_DAEMON_ATTR_MCAST_TTL]);
  return d;
}

namespace {
// Top-level attributes of one reply; a negative libnl error when it is not parseable.
int parse_top(nlmsghdr* nlh, nlattr** tb) {
  if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN) return -NLE_MSG_TOOSHORT;
  const int payload = static_cast<int>(nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN);
  auto* first = reinterpret_cast<nlattr*>(reinterpret_cast<char*>(nlmsg_data(nlh)) + GENL_HDRLEN);
  return walk_attrs(tb, IPVS_CMD_ATTR_MAX, first, payload, cmd_policy.data());
}
}  // namespace

Result<ServiceState> parse_service_reply(nlmsghdr* nlh) {
  nlattr* tb[IPVS_CMD_ATTR_MAX + 1];
  int err = parse_top(nlh, tb);
  if (err < 0) return parse_error("service reply", err);
  if (tb[IPVS_CMD_ATTR_SERVICE] == nullptr) return missing("service reply", "a service");
  return parse_service(tb[IPVS_CMD_ATTR_SERVICE]);
}

Result<DestinationState> parse_dest_reply(nlmsghdr* nlh, Family service_family) {
  nlattr* tb[IPVS_CMD_ATTR_MAX + 1];
  int err = parse_top(nlh, tb);
  if (err < 0) return parse_error("destination reply", err);
  if (tb[IPVS_CMD_ATTR_DEST] == nullptr) return missing("destination reply", "a destination");
  return parse_dest(tb[IPVS_CMD_ATTR_DEST], service_family);
}

Result<SyncDaemon> parse_daemon_reply(nlmsghdr* nlh) {
  nlattr* tb[IPVS_CMD_ATTR_MAX + 1];
  int err = parse_top(nlh, tb);
  if (err < 0) return parse_error("sync daemon reply", err);
  if (tb[IPVS_CMD_ATTR_DAEMON] == nullptr) return missing("sync daemon reply", "a daemon");
  return parse_daemon(tb[IPVS_CMD_ATTR_DAEMON]);
}

Result<Info> parse_info_reply(nlmsghdr* nlh) {
  nlattr* tb[IPVS_INFO_ATTR_MAX + 1];
  int err = genlmsg_parse(nlh, 0, tb, IPVS_INFO_ATTR_MAX, info_policy.data());
  if (err < 0) return parse_error("info reply", err);
  if (tb[IPVS_INFO_ATTR_VERSION] == nullptr || tb[IPVS_INFO_ATTR_CONN_TAB_SIZE] == nullptr)
    return missing("info reply", "a version and connection table size");
  Info info;
  info.version = nla_get_u32(tb[IPVS_INFO_ATTR_VERSION]);
  info.conn_table_size = nla_get_u32(tb[IPVS_INFO_ATTR_CONN_TAB_SIZE]);
  return info;
}

Result<Timeouts> parse_timeouts_reply(nlmsghdr* nlh) {
  nlattr* tb[IPVS_CMD_ATTR_MAX + 1];
  int err = parse_top(nlh, tb);
  if (err < 0) return parse_error("timeouts reply", err);
  Timeouts t;
  if (tb[IPVS_CMD_ATTR_TIMEOUT_TCP] != nullptr) t.tcp_s = nla_get_u32(tb[IPVS_CMD_ATTR_TIMEOUT_TCP]);
  if (tb[IPVS_CMD_ATTR_TIMEOUT_TCP_FIN] != nullptr)
    t.tcp_fin_s = nla_get_u32(tb[IPVS_CMD_ATTR_TIMEOUT_TCP_FIN]);
  if (tb[IPVS_CMD_ATTR_TIMEOUT_UDP] != nullptr) t.udp_s = nla_get_u32(tb[IPVS_CMD_ATTR_TIMEOUT_UDP]);
  return t;
}

}  // namespace lvs::ipvs::wire
