#pragma once
// The cluster descriptor as plain values.
//
// Two layers live here:
//  - the descriptor as written (Cluster::pools, Cluster::services with their optional
//    fields), which serialises back to the same JSON;
//  - the expanded virtual services (Cluster::virtual_services), one per kernel service,
//    with pools, defaults and health-check defaults resolved. Everything downstream
//    (desired state, health, lvsctl) reads only this layer.
// Both are filled by the loader (loader.h); expand() derives the second from the first.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "net/ip_address.h"

namespace lvs::model {

using net::Family;
using net::IpAddress;
using net::IpPrefix;

enum class Protocol : std::uint8_t { tcp, udp, sctp };
enum class ForwardMethod : std::uint8_t { masq, droute, tunnel };
enum class TunnelType : std::uint8_t { ipip, gue, gre };
enum class TunnelChecksum : std::uint8_t { none, csum, remcsum };
enum class OnFailure : std::uint8_t { quiesce, remove };  // quiesce: weight 0 (default)
enum class CheckType : std::uint8_t { none, tcp, smtp, pop3, imap };
enum class TlsMode : std::uint8_t { none, implicit, starttls };
enum class PeerMode : std::uint8_t { unicast, multicast };
enum class AuthType : std::uint8_t { none, hmac_sha256 };
// How the master sync daemon sends: `each` connection event in its own message (a
// fresh connection is known to the peer after about one event interval), or `batched`
// into MTU-sized messages (the kernel's default: sent when full or after ~2 s).
enum class SyncSend : std::uint8_t { each, batched };

// Every scheduler the kernel ships, in the order the schema lists them.
inline constexpr const char* kSchedulers[] = {"rr",    "wrr", "lc", "wlc", "fo", "ovf", "lblc",
                                              "lblcr", "dh",  "sh", "mh",  "sed", "nq"};

// ---------------------------------------------------------------- health checks

// A check as written in a pool or a service: every field optional, so a service can
// override single fields of its pool's check.
struct CheckSpec {
  std::optional<CheckType> type;
  std::optional<TlsMode> tls;
  std::optional<std::string> ca_file;
  std::optional<std::string> server_name;
  std::optional<bool> verify;
  std::optional<std::string> min_tls_version;  // "1.0", "1.1", "1.2", "1.3"
  std::optional<std::uint32_t> interval_ms;
  std::optional<std::uint32_t> timeout_ms;
  std::optional<std::uint32_t> rise;
  std::optional<std::uint32_t> fall;
  std::optional<std::string> credentials_file;
  std::optional<std::uint16_t> port;  // probe port; absent: the real server's port
  std::optional<IpAddress> source_address;
  std::optional<std::string> ehlo_name;     // SMTP EHLO argument; absent: the host name
  std::optional<bool> initially_up;         // absent/false: down until the first success
  bool operator==(const CheckSpec&) const = default;
};

// A check with every field resolved (defaults by port applied).
struct HealthCheck {
  CheckType type = CheckType::tcp;
  TlsMode tls = TlsMode::none;
  std::string ca_file;          // empty: the system trust store
  std::string server_name;      // empty: no SNI; the certificate must name the address checked
  bool verify = true;           // verify the certificate chain and name (server_name or the address)
  std::string min_tls_version;  // empty: 1.2
  std::uint32_t interval_ms = 5000;
  std::uint32_t timeout_ms = 3000;
  std::uint32_t rise = 2;
  std::uint32_t fall = 3;
  std::string credentials_file;        // empty: no login
  std::uint16_t port = 0;              // 0: the real server's port
  std::optional<IpAddress> source_address;
  std::string ehlo_name;               // empty: the host name
  bool initially_up = false;
  bool operator==(const HealthCheck&) const = default;
};

// The defaults for a service port: 25/587 smtp, 465 smtp+implicit, 110 pop3,
// 995 pop3+implicit, 143 imap, 993 imap+implicit, anything else tcp.
HealthCheck default_check_for_port(std::uint16_t port);
// Apply spec fields over `base`.
HealthCheck apply_check(HealthCheck base, const CheckSpec& spec);

// ---------------------------------------------------------------- real servers

struct RealSpec {
  IpAddress address;
  std::optional<std::uint16_t> port;  // absent: the service's port
  std::uint32_t weight = 1;           // 0 .. 2^31-1
  std::uint32_t upper_threshold = 0;  // 0: no limit
  std::uint32_t lower_threshold = 0;
  bool operator==(const RealSpec&) const = default;
};

struct Pool {
  std::vector<RealSpec> reals;
  std::optional<CheckSpec> check;
  bool operator==(const Pool&) const = default;
};

// A real server of one virtual service, port resolved.
struct Real {
  IpAddress address;
  std::uint16_t port = 0;  // the service's port when not written; 0 for fwmark services (marked too)
  std::uint32_t weight = 1;
  std::uint32_t upper_threshold = 0;
  std::uint32_t lower_threshold = 0;
  bool operator==(const Real&) const = default;
};

// ---------------------------------------------------------------- services

struct Forwarding {
  ForwardMethod method = ForwardMethod::masq;
  TunnelType tunnel_type = TunnelType::ipip;          // tunnel only
  std::uint16_t tunnel_port = 0;                      // gue only
  TunnelChecksum tunnel_checksum = TunnelChecksum::none;  // gue/gre only
  bool operator==(const Forwarding&) const = default;
};

// A service as written; exactly one of pool / reals. Its traffic is chosen by
//  - address + port, or address + ports (one kernel service per port), or
//  - fwmark alone (the operator marks the traffic), or
//  - fwmark + address + port/ports: lvsd marks address:protocol:port(s) itself and the
//    kernel gets one fwmark service, so persistence covers all those ports.
struct ServiceSpec {
  std::string name;
  std::optional<IpAddress> address;     // absent for fwmark services the operator marks
  Protocol protocol = Protocol::tcp;
  std::optional<std::uint16_t> port;
  std::vector<std::uint16_t> ports;     // expanded to one service per port, "name/port"
  std::optional<std::uint32_t> fwmark;
  std::optional<Family> family;         // fwmark services without address only; default inet
  std::string scheduler = "wlc";
  std::vector<std::string> scheduler_flags;  // "flag-1".."flag-3", "sh-fallback", "sh-port", "mh-fallback", "mh-port"
  std::uint32_t persistence_s = 0;      // 0: no persistence
  std::optional<int> persistence_netmask;  // prefix length; absent: full length
  std::string persistence_engine;       // e.g. "sip"; empty: none
  bool one_packet = false;
  Forwarding forwarding;
  std::string pool;                     // name in Cluster::pools; empty when reals are inline
  std::vector<RealSpec> reals;
  std::uint32_t quorum = 1;
  std::string sorry_server;             // name in Cluster::pools; empty: none
  OnFailure on_failure = OnFailure::quiesce;
  std::optional<CheckSpec> check;       // overrides the pool's check field by field
  bool operator==(const ServiceSpec&) const = default;
};

// One kernel virtual service, fully resolved.
struct VirtualService {
  std::string name;            // "research-mail/25" when expanded from `ports`
  std::string source_pointer;  // "/services/3": where it was written
  Family family = Family::inet;
  Protocol protocol = Protocol::tcp;  // meaningless when fwmark != 0, unless marked
  IpAddress address;                  // meaningless when fwmark != 0, unless marked
  std::uint16_t port = 0;             // meaningless when fwmark != 0
  std::uint32_t fwmark = 0;           // non-zero: a firewall-mark service
  // Non-empty: lvsd marks address:protocol:these ports with `fwmark` (a marked service).
  std::vector<std::uint16_t> mark_ports;
  std::string scheduler = "wlc";
  std::vector<std::string> scheduler_flags;
  std::uint32_t persistence_s = 0;
  int persistence_prefix = 32;  // prefix length (32 / 128 when not written)
  std::string persistence_engine;
  bool one_packet = false;
  Forwarding forwarding;
  std::string pool;  // empty when reals were inline
  std::vector<Real> reals;
  std::uint32_t quorum = 1;
  std::string sorry_server;       // pool name; empty: none
  std::vector<Real> sorry_reals;  // that pool's reals, ports resolved like `reals`
  OnFailure on_failure = OnFailure::quiesce;
  HealthCheck check;

  bool is_fwmark() const { return fwmark != 0; }
  bool is_marked() const { return fwmark != 0 && !mark_ports.empty(); }
  // `address` means something: a plain service or a marked one.
  bool has_address() const { return fwmark == 0 || !mark_ports.empty(); }
  // Bits 0..2 for flag-1..flag-3 (sh-fallback/mh-fallback = flag-1, sh-port/mh-port = flag-2).
  std::uint32_t scheduler_flag_bits() const;
  bool operator==(const VirtualService&) const = default;
};

// "flag-1"/"sh-fallback"/"mh-fallback" -> 1, "flag-2"/"sh-port"/"mh-port" -> 2,
// "flag-3" -> 3, anything else 0.
int scheduler_flag_number(const std::string& name);

// ---------------------------------------------------------------- nodes and HA

struct Node {
  std::string name;
  IpAddress address;  // the address it sends VRRP adverts and connection sync from
  std::uint8_t priority = 100;  // 1..254, unique
  bool operator==(const Node&) const = default;
};

struct Vip {
  IpPrefix address;  // "192.0.2.10/24"
  std::string interface;
  bool operator==(const Vip&) const = default;
};

struct Authentication {
  AuthType type = AuthType::none;
  std::string key_file;  // hmac_sha256 only
  bool operator==(const Authentication&) const = default;
};

struct Sync {
  std::string interface;
  std::uint32_t sync_id = 0;  // 0..255
  SyncSend send = SyncSend::each;
  // After becoming master, drop (not reset) what IPVS did not take for this long: the
  // peer's last sync messages are still on their way (the kernel flushes every 2 s).
  std::uint32_t takeover_grace_ms = 4000;  // 0: off
  bool operator==(const Sync&) const = default;
};

struct Ha {
  std::uint8_t virtual_router_id = 1;  // 1..255
  std::string interface;               // where VRRP adverts go
  std::uint32_t advert_interval_ms = 1000;  // 10..40950, a multiple of 10
  bool preempt = true;
  std::uint32_t preempt_delay_s = 0;
  PeerMode peers = PeerMode::unicast;  // unicast: to the other nodes' addresses
  Authentication authentication;
  std::vector<Vip> vips;
  std::optional<Sync> sync;
  // Gratuitous ARP / unsolicited NA: a burst on takeover, then again every this many
  // seconds while master (0: only the burst).
  std::uint32_t garp_refresh_s = 60;
  // Run on every state change with the new state appended as the last argument
  // ("master", "backup", "fault", "initialize"); never through a shell. Empty: none.
  std::vector<std::string> notify;
  bool operator==(const Ha&) const = default;
};

// ---------------------------------------------------------------- kernel settings

struct IpvsSettings {
  std::uint32_t tcp_timeout_s = 0;      // 0: leave the kernel's value
  std::uint32_t tcp_fin_timeout_s = 0;  // 0: leave the kernel's value
  std::uint32_t udp_timeout_s = 0;      // 0: leave the kernel's value
  // net.ipv4.vs.* sysctls; the defaults keep a persistent client off a drained real.
  bool expire_quiescent_template = true;
  bool expire_nodest_conn = true;
  std::uint8_t conn_reuse_mode = 1;  // 0..2
  bool operator==(const IpvsSettings&) const = default;
};

// ---------------------------------------------------------------- the cluster

struct Cluster {
  std::string name;
  std::vector<Node> nodes;
  std::optional<Ha> ha;  // absent: a single balancer without failover
  std::map<std::string, Pool> pools;
  std::vector<ServiceSpec> services;  // as written
  IpvsSettings ipvs;

  std::vector<VirtualService> virtual_services;  // derived by expand()

  bool operator==(const Cluster&) const = default;
};

// Derive Cluster::virtual_services from the written layer. Unknown pool names yield
// services without reals (the semantic check reports them).
std::vector<VirtualService> expand(const Cluster& cluster);
// The cluster's virtual services: the loaded ones, or expand()'s (kept in `scratch`)
// when a hand-built Cluster has none yet. No copy of the loaded list.
const std::vector<VirtualService>& virtual_services_of(const Cluster& cluster, std::vector<VirtualService>& scratch);

// Short names used in JSON, messages and summaries.
const char* to_string(Protocol p);
const char* to_string(ForwardMethod m);
const char* to_string(TunnelType t);
const char* to_string(TunnelChecksum c);
const char* to_string(OnFailure f);
const char* to_string(CheckType t);
const char* to_string(TlsMode t);
const char* to_string(PeerMode p);
const char* to_string(AuthType a);
const char* to_string(SyncSend s);
const char* to_string(Family f);  // "inet" / "inet6"

}  // namespace lvs::model
