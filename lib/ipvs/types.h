#pragma once
// IPVS domain types: plain values, no netlink encoding (that lives in netlink_ipvs.cpp).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "net/ip_address.h"

namespace lvs::ipvs {

using net::Family;
using net::IpAddress;

enum class Protocol : std::uint16_t { tcp = 6, udp = 17, sctp = 132 };

// A service is found either by (family, protocol, address, port) or by (family, fwmark).
struct ServiceKey {
  Family family = Family::inet;
  Protocol protocol = Protocol::tcp;  // ignored when fwmark != 0
  IpAddress address;                  // ignored when fwmark != 0
  std::uint16_t port = 0;             // ignored when fwmark != 0
  std::uint32_t fwmark = 0;           // non-zero: a firewall-mark service

  bool is_fwmark() const { return fwmark != 0; }
  std::string to_string() const;  // "tcp 192.0.2.10:25", "tcp [2001:db8::1]:25", "fwmark 7 (inet6)"
  auto operator<=>(const ServiceKey&) const = default;
  bool operator==(const ServiceKey&) const = default;
};

// Service flags (IP_VS_SVC_F_*), kept as the kernel's bit values.
namespace svc_flag {
inline constexpr std::uint32_t persistent = 0x0001;
inline constexpr std::uint32_t hashed = 0x0002;  // kernel-internal, never set by us
inline constexpr std::uint32_t onepacket = 0x0004;
inline constexpr std::uint32_t sched1 = 0x0008;  // sh-fallback / mh-fallback
inline constexpr std::uint32_t sched2 = 0x0010;  // sh-port / mh-port
inline constexpr std::uint32_t sched3 = 0x0020;
}  // namespace svc_flag

struct Service {
  ServiceKey key;
  std::string scheduler = "wlc";
  std::uint32_t flags = 0;            // svc_flag bits, without `hashed`
  std::uint32_t timeout_s = 0;        // persistence timeout; > 0 sets svc_flag::persistent
  std::uint32_t netmask = 0xffffffff; // IPv4: a mask; IPv6: the prefix length (kernel convention)
  std::string pe_name;                // persistence engine, e.g. "sip"; empty for none

  bool operator==(const Service&) const = default;
};

enum class Forward : std::uint32_t { masq = 0, local = 1, tunnel = 2, droute = 3, bypass = 4 };
enum class TunnelType : std::uint8_t { ipip = 0, gue = 1, gre = 2 };

namespace tun_flag {
inline constexpr std::uint16_t nocsum = 0x0000;
inline constexpr std::uint16_t csum = 0x0001;
inline constexpr std::uint16_t remcsum = 0x0002;
}  // namespace tun_flag

struct Destination {
  IpAddress address;
  std::uint16_t port = 0;
  Family family = Family::inet;  // may differ from the service's for tunnel
  Forward forward = Forward::masq;
  std::uint32_t weight = 1;      // 0 .. INT32_MAX
  std::uint32_t upper_threshold = 0;
  std::uint32_t lower_threshold = 0;
  TunnelType tunnel_type = TunnelType::ipip;
  std::uint16_t tunnel_port = 0;
  std::uint16_t tunnel_flags = 0;

  std::string to_string() const;  // "198.51.100.11:25"
  bool operator==(const Destination&) const = default;
};

struct DestKey {
  IpAddress address;
  std::uint16_t port = 0;
  auto operator<=>(const DestKey&) const = default;
  bool operator==(const DestKey&) const = default;
};
inline DestKey key_of(const Destination& d) { return {d.address, d.port}; }

// 64-bit counters and rates as the kernel reports them (IPVS_*_ATTR_STATS64).
struct Stats {
  std::uint64_t conns = 0, inpkts = 0, outpkts = 0, inbytes = 0, outbytes = 0;
  std::uint64_t cps = 0, inpps = 0, outpps = 0, inbps = 0, outbps = 0;
  bool operator==(const Stats&) const = default;
};

struct DestinationState {
  Destination dest;
  std::uint32_t active_conns = 0;
  std::uint32_t inactive_conns = 0;
  std::uint32_t persistent_conns = 0;
  Stats stats;
  bool operator==(const DestinationState&) const = default;
};

struct ServiceState {
  Service service;
  Stats stats;
  std::vector<DestinationState> destinations;
  bool operator==(const ServiceState&) const = default;
};

// A whole table as read from the kernel.
struct Table {
  std::vector<ServiceState> services;
  bool operator==(const Table&) const = default;
};

struct Info {
  std::uint32_t version = 0;  // e.g. 0x010203 for 1.2.3
  std::uint32_t conn_table_size = 0;
  std::string version_string() const;
  bool operator==(const Info&) const = default;
};

struct Timeouts {
  std::uint32_t tcp_s = 0;      // 0 on write: leave unchanged
  std::uint32_t tcp_fin_s = 0;
  std::uint32_t udp_s = 0;
  bool operator==(const Timeouts&) const = default;
};

enum class SyncState : std::uint32_t { master = 1, backup = 2 };

struct SyncDaemon {
  SyncState state = SyncState::master;
  std::string interface;
  std::uint32_t sync_id = 0;          // 0..255
  std::uint16_t max_len = 0;          // 0: kernel default
  std::optional<IpAddress> group;     // none: kernel default (224.0.0.81)
  std::uint16_t port = 0;             // 0: kernel default (8848)
  std::uint8_t ttl = 0;               // 0: kernel default (1)
  bool operator==(const SyncDaemon&) const = default;
};

const char* to_string(Protocol p);
const char* to_string(Forward f);
const char* to_string(TunnelType t);
const char* to_string(SyncState s);

}  // namespace lvs::ipvs
