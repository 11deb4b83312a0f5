#include "health/probe_config.h"

#include <functional>

namespace lvs::health {

std::string_view to_string(ProbeType t) {
  switch (t) {
    case ProbeType::tcp: return "tcp";
    case ProbeType::smtp: return "smtp";
    case ProbeType::pop3: return "pop3";
    case ProbeType::imap: return "imap";
  }
  return "?";
}

std::string_view to_string(TlsMode m) {
  switch (m) {
    case TlsMode::none: return "none";
    case TlsMode::implicit: return "implicit";
    case TlsMode::starttls: return "starttls";
  }
  return "?";
}

std::string_view to_string(TlsVersion v) {
  switch (v) {
    case TlsVersion::any: return "any";
    case TlsVersion::tls1_0: return "TLSv1.0";
    case TlsVersion::tls1_1: return "TLSv1.1";
    case TlsVersion::tls1_2: return "TLSv1.2";
    case TlsVersion::tls1_3: return "TLSv1.3";
  }
  return "?";
}

std::string endpoint_string(const net::IpAddress& address, std::uint16_t port) {
  if (address.is_v6()) return "[" + address.to_string() + "]:" + std::to_string(port);
  return address.to_string() + ":" + std::to_string(port);
}

std::string describe(const ProbeConfig& c) {
  std::string s(to_string(c.type));
  if (c.tls == TlsMode::implicit) s += "+tls";
  if (c.tls == TlsMode::starttls) s += "+starttls";
  s += " " + endpoint_string(c.address, c.port);
  if (c.source) s += " from " + c.source->to_string();
  return s;
}

std::string format_duration(std::chrono::milliseconds d) {
  auto ms = d.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  if (ms > 1000) return std::to_string(ms / 1000) + "." + std::to_string(ms % 1000 / 100) + " s";
  return std::to_string(ms) + " ms";
}

namespace {
void mix(std::size_t& seed, std::size_t v) { seed ^= v + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2); }
void mix_address(std::size_t& seed, const net::IpAddress& a) {
  mix(seed, static_cast<std::size_t>(a.family));
  for (auto b : a.bytes) mix(seed, b);
}
}  // namespace

std::size_t hash_value(const ProbeConfig& c) {
  std::hash<std::string> hs;
  std::size_t seed = 0;
  mix(seed, static_cast<std::size_t>(c.type));
  mix_address(seed, c.address);
  mix(seed, c.port);
  mix(seed, c.source.has_value());
  if (c.source) mix_address(seed, *c.source);
  mix(seed, static_cast<std::size_t>(c.tls));
  mix(seed, hs(c.ca_file));
  mix(seed, hs(c.server_name));
  mix(seed, c.verify);
  mix(seed, static_cast<std::size_t>(c.min_tls_version));
  mix(seed, static_cast<std::size_t>(c.timeout.count()));
  mix(seed, c.credentials.has_value());
  if (c.credentials) {
    mix(seed, hs(c.credentials->user));
    mix(seed, hs(c.credentials->password));
  }
  mix(seed, hs(c.ehlo_name));
  mix(seed, c.max_line_bytes);
  mix(seed, c.max_total_bytes);
  mix(seed, c.record_transcript);
  return seed;
}

}  // namespace lvs::health
