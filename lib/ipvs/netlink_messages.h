#pragma once
// Private to lib/ipvs: the IPVS generic-netlink wire format (<linux/ip_vs.h>).
// Builders append one request to a libnl message; parsers turn kernel replies into
// domain types. No socket I/O here, so both sides are testable without a kernel.
//
// Conventions the kernel imposes and these functions keep in one place:
// - addresses travel as 16 bytes (union nf_inet_addr), ports in network byte order;
// - the persistence netmask of an IPv4 service is a mask in network byte order, of an
//   IPv6 service a prefix length (plain u32); Service::netmask holds the IPv4 mask in
//   host order and the IPv6 prefix as is;
// - IP_VS_SVC_F_PERSISTENT follows timeout_s > 0 on write (the kernel persists only with
//   the flag) and, like the kernel-internal HASHED bit, is not reported in Service::flags
//   on read (the backends' shared convention, see FakeIpvs and tests/conformance).
#include <linux/ip_vs.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "common/result.h"
#include "ipvs/backend.h"

namespace lvs::ipvs::wire {

struct MsgDeleter {
  void operator()(nl_msg* m) const { nlmsg_free(m); }
};
using MsgPtr = std::unique_ptr<nl_msg, MsgDeleter>;

// Room for the largest request we build (a service or a tunnel destination is ~150 bytes).
inline constexpr std::size_t kMessageSize = 1024;

// A fresh message with kMessageSize bytes of room; nullptr when out of memory.
MsgPtr new_message();
// Empties `msg` so it can carry the next request without another allocation.
void reset_message(nl_msg* msg);

// Attribute policies used to parse requests (in tests) and replies (in the backend);
// pass .data() to nla_parse / genlmsg_parse.
extern const std::array<nla_policy, IPVS_CMD_ATTR_MAX + 1> cmd_policy;
extern const std::array<nla_policy, IPVS_SVC_ATTR_MAX + 1> service_policy;
extern const std::array<nla_policy, IPVS_DEST_ATTR_MAX + 1> dest_policy;
extern const std::array<nla_policy, IPVS_DAEMON_ATTR_MAX + 1> daemon_policy;
extern const std::array<nla_policy, IPVS_STATS_ATTR_MAX + 1> stats_policy;
extern const std::array<nla_policy, IPVS_INFO_ATTR_MAX + 1> info_policy;

// Builders return 0 or a negative libnl error (-NLE_NOMEM when `msg` is too small).

// Netlink + genetlink headers. `nl_flags` is NLM_F_* (NLM_F_REQUEST is always added).
int put_header(nl_msg* msg, int family_id, std::uint8_t cmd, int nl_flags, std::uint32_t seq);

int put_service_key(nl_msg* msg, const ServiceKey& key);  // IPVS_CMD_ATTR_SERVICE, key only
int put_service(nl_msg* msg, const Service& s);           // IPVS_CMD_ATTR_SERVICE, full entry
int put_dest(nl_msg* msg, const Destination& d);          // IPVS_CMD_ATTR_DEST, full entry
int put_dest_key(nl_msg* msg, const DestKey& d);          // IPVS_CMD_ATTR_DEST, key only
int put_daemon(nl_msg* msg, const SyncDaemon& d);         // IPVS_CMD_ATTR_DAEMON, full
int put_daemon_state(nl_msg* msg, SyncState state);       // IPVS_CMD_ATTR_DAEMON, state only
int put_timeouts(nl_msg* msg, const Timeouts& t);         // only the non-zero ones

std::uint8_t command_of(const Operation& op);
// A complete write request for `op`, with NLM_F_ACK and sequence number `seq`.
int build_operation(nl_msg* msg, int family_id, const Operation& op, std::uint32_t seq);

// Parsers of kernel replies. `nlh` is one generic-netlink message of the IPVS family.
Result<ServiceState> parse_service_reply(nlmsghdr* nlh);
Result<DestinationState> parse_dest_reply(nlmsghdr* nlh, Family service_family);
Result<SyncDaemon> parse_daemon_reply(nlmsghdr* nlh);
Result<Info> parse_info_reply(nlmsghdr* nlh);
Result<Timeouts> parse_timeouts_reply(nlmsghdr* nlh);

// Parsers of one nested attribute (IPVS_CMD_ATTR_SERVICE, _DEST, _DAEMON, *_STATS*).
Result<ServiceState> parse_service(nlattr* nest);
Result<DestinationState> parse_dest(nlattr* nest, Family service_family);
Result<SyncDaemon> parse_daemon(nlattr* nest);
Result<Stats> parse_stats(nlattr* nest);  // STATS or STATS64: attribute widths differ

}  // namespace lvs::ipvs::wire
