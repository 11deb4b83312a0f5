#pragma once
// The kernel's IPVS connection table as /proc/net/ip_vs_conn shows it: IPVS has no
// netlink command for connections, so ipvsadm -c and we both read that file (of the
// network namespace the backend was opened in). Parsing is a pure function of the text.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "net/ip_address.h"

namespace lvs::ipvs {

// One entry, persistence templates included (state NONE, client port 0).
struct Connection {
  std::string protocol;  // as the kernel names it: "TCP", "UDP", "SCTP", "IP" (fwmark templates)
  net::IpAddress client;
  std::uint16_t client_port = 0;
  net::IpAddress virtual_address;
  std::uint16_t virtual_port = 0;
  net::IpAddress destination;  // may be of the other family (tunnel to a mixed-family real)
  std::uint16_t destination_port = 0;
  std::string state;           // "ESTABLISHED", "SYN_RECV", "FIN_WAIT", "NONE", ...
  std::uint64_t expires_s = 0; // seconds until the entry times out
  std::string pe_name;         // persistence engine ("sip") when the entry carries its data
  std::string pe_data;
  bool operator==(const Connection&) const = default;
};

// A line that could not be read: its 1-based number, its text (cut at 200 bytes) and why.
struct UnreadableLine {
  std::size_t line = 0;
  std::string text;
  std::string reason;
  bool operator==(const UnreadableLine&) const = default;
};

// Entries in the file's order (the kernel's hash order, which is also what ipvsadm -c
// prints); lines that are not entries are listed apart, never fatal.
struct ConnectionTable {
  std::vector<Connection> connections;
  std::vector<UnreadableLine> unreadable;
  bool operator==(const ConnectionTable&) const = default;
};

// Parses the text of /proc/net/ip_vs_conn: a header line starting "Pro ", then one
// entry per line, "TCP C0000264 A0C2 C000020A 0019 CB00710B 0019 ESTABLISHED     899",
// IPv4 addresses as 8 hex digits, IPv6 ones in full colon form, ports as hex, then
// optionally the persistence engine's name and data.
ConnectionTable parse_connection_table(std::string_view text);

// The largest /proc/net/ip_vs_conn read: about 4 million entries.
inline constexpr std::size_t kConnectionTableMaxBytes = 512u * 1024 * 1024;

}  // namespace lvs::ipvs
