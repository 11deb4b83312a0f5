#pragma once
// VRRPv3 advertisements (RFC 5798 section 5) as plain values, and the pure functions that
// put them on the wire and take them off it. No sockets here: the receiver's checks
// (TTL, version, type, checksum, VRID, address list, interval) are all in parse_advert,
// so the daemon and the fuzzer exercise the same code.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "net/ip_address.h"

namespace lvs::ha {

inline constexpr int kVrrpProtocol = 112;        // IP protocol / IPv6 next header
inline constexpr std::uint8_t kVrrpVersion = 3;
inline constexpr std::uint8_t kTypeAdvert = 1;
// Our extension for two lvsd peers with hmac-sha256 (never sent without it): a backup's
// "standby report", the advert's layout with type 2, so the master knows a peer is there
// to take over before it hands over. Plain VRRP backups stay silent (RFC 5798).
inline constexpr std::uint8_t kTypeStandby = 2;
inline constexpr int kRequiredTtl = 255;         // TTL / hop limit of every advert
inline constexpr std::size_t kHeaderBytes = 8;
inline constexpr std::uint16_t kMaxIntervalCs = 0x0fff;  // 12 bits of centiseconds

struct Advert {
  std::uint8_t vrid = 0;
  std::uint8_t priority = 0;        // 0: the master is leaving; 255: address owner
  std::uint16_t interval_cs = 100;  // Max Adver Int, centiseconds (1..4095)
  std::vector<net::IpAddress> addresses;  // all of one family
  std::uint8_t type = kTypeAdvert;        // kTypeStandby: a backup's standby report
  bool operator==(const Advert&) const = default;
};

// The IP header fields a receiver needs besides the VRRP payload itself.
struct Envelope {
  net::IpAddress source;
  net::IpAddress destination;
  int ttl = 0;  // TTL (IPv4) or hop limit (IPv6)
};

// What a receiver expects of adverts for its virtual router.
struct Expectation {
  std::uint8_t vrid = 0;
  net::Family family = net::Family::inet;
  // The configured VIPs of this family; an advert from a non-owner (priority < 255) whose
  // list differs is dropped (RFC 5798 7.1). Empty: the list is not compared.
  std::vector<net::IpAddress> addresses;
  // After a reload that changed the VIPs: the list before it, accepted too until the peer
  // is heard with the new one (it may not have reloaded yet). Empty: none.
  std::vector<net::IpAddress> previous_addresses = {};
  // Standby reports (type 2) are accepted, not dropped as bad_type: hmac-sha256 only.
  bool standby_reports = false;
};

// Why an advert was dropped; each has a counter in the daemon's statistics.
enum class DropReason : std::uint8_t {
  truncated,          // shorter than the header, or than the addresses it announces
  bad_ttl,            // TTL / hop limit not 255: it crossed a router
  bad_version,
  bad_type,
  bad_checksum,
  wrong_vrid,
  family_mismatch,    // envelope and expectation disagree on IPv4/IPv6
  no_addresses,       // count 0 (RFC: at least one)
  addresses_differ,   // not our VIP list, and not from the address owner
  zero_interval,      // Max Adver Int 0 would make the master-down timer 0
  trailing_bytes,     // more payload than the addresses announce (plain VRRP only)
  auth_missing,       // authentication configured, no trailer
  auth_bad_key,       // trailer names a key we do not hold
  auth_bad_mac,
  auth_replay,        // counter not above the last one accepted from that peer
  unknown_source,     // unicast: not one of the descriptor's other nodes
};
inline constexpr std::size_t kDropReasonCount = static_cast<std::size_t>(DropReason::unknown_source) + 1;
std::string_view to_string(DropReason reason);

// The VRRP checksum: one's complement sum over the pseudo-header of the packet's family
// (source, destination, length, protocol 112) and the VRRP message with its checksum
// field as sent. Returns the value to put in the field when that field is zero, and 0
// when verifying a packet whose checksum is right.
std::uint16_t vrrp_checksum(std::span<const std::uint8_t> message, const net::IpAddress& source,
                            const net::IpAddress& destination);

// Header + addresses with the checksum filled in. Addresses of the other family than
// `source` are skipped (a packet carries one family).
std::vector<std::uint8_t> encode_advert(const Advert& advert, const net::IpAddress& source,
                                        const net::IpAddress& destination);

// The VRRP message's length for `count` addresses of `family`.
std::size_t advert_length(net::Family family, std::size_t count);

using ParseResult = std::variant<Advert, DropReason>;

// True when `a` and `b` hold the same addresses, in any order.
bool same_addresses(std::vector<net::IpAddress> a, std::vector<net::IpAddress> b);

// Every check RFC 5798 7.1 asks of a receiver, in its order. `payload` is the IP
// payload; when `allow_trailer` is set, bytes after the addresses are left for the
// authentication layer instead of being refused.
ParseResult parse_advert(std::span<const std::uint8_t> payload, const Envelope& envelope,
                         const Expectation& expect, bool allow_trailer = false);

}  // namespace lvs::ha
