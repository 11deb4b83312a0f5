#pragma once
// What one probe does, as a plain value. The daemon maps the descriptor's check settings
// onto this; the health library never reads the descriptor itself.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include "net/ip_address.h"

namespace lvs::health {

enum class ProbeType { tcp, smtp, pop3, imap };
enum class TlsMode { none, implicit, starttls };
enum class TlsVersion { any, tls1_0, tls1_1, tls1_2, tls1_3 };

struct Credentials {
  std::string user;
  std::string password;
  bool operator==(const Credentials&) const = default;
};

struct ProbeConfig {
  ProbeType type = ProbeType::tcp;
  net::IpAddress address;
  std::uint16_t port = 0;
  std::optional<net::IpAddress> source;  // bound before connect when set

  TlsMode tls = TlsMode::none;
  std::string ca_file;      // empty: the system store
  std::string server_name;  // checked against the certificate when verify is on (empty: the
                            // address, as an IP SAN); also SNI
  bool verify = true;
  TlsVersion min_tls_version = TlsVersion::tls1_2;

  std::chrono::milliseconds timeout{5000};  // the whole dialogue, connect to QUIT
  std::optional<Credentials> credentials;   // pop3 USER/PASS, imap LOGIN
  std::string ehlo_name = "lvsd.localdomain";

  // Bounds on what a server may send: one line, and everything in one dialogue.
  std::size_t max_line_bytes = 4096;
  std::size_t max_total_bytes = 64 * 1024;

  // Keep the dialogue line by line in the result (`lvsctl check`). Off for scheduled
  // checks: nobody reads those transcripts, and building them costs per check.
  bool record_transcript = false;

  bool operator==(const ProbeConfig&) const = default;
};

std::string_view to_string(ProbeType);
std::string_view to_string(TlsMode);
std::string_view to_string(TlsVersion);

// "192.0.2.10:25" or "[2001:db8::10]:25".
std::string endpoint_string(const net::IpAddress& address, std::uint16_t port);

// One line naming the probe, e.g. "imap+starttls [2001:db8::10]:143".
std::string describe(const ProbeConfig&);

// "5 s", "250 ms": durations in operator messages.
std::string format_duration(std::chrono::milliseconds);

// Hash over every field, for the registry that shares identical checks.
std::size_t hash_value(const ProbeConfig&);

}  // namespace lvs::health
