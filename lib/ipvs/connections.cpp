#include "ipvs/connections.h"

#include <charconv>

namespace lvs::ipvs {

namespace {

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

template <typename T>
bool number(std::string_view s, int base, T& out) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// IPv4 as the kernel prints it (%08X of the host-order address) or IPv6 (%pI6).
bool address(std::string_view s, net::IpAddress& out) {
  if (s.find(':') != std::string_view::npos) {
    auto a = net::IpAddress::parse(s);
    if (!a || !a->is_v6()) return false;
    out = *a;
    return true;
  }
  std::uint32_t v = 0;
  if (s.size() != 8 || !number(s, 16, v)) return false;
  out = net::IpAddress{};
  out.family = net::Family::inet;
  out.bytes[0] = static_cast<std::uint8_t>(v >> 24);
  out.bytes[1] = static_cast<std::uint8_t>(v >> 16);
  out.bytes[2] = static_cast<std::uint8_t>(v >> 8);
  out.bytes[3] = static_cast<std::uint8_t>(v);
  return true;
}

bool port(std::string_view s, std::uint16_t& out) { return s.size() <= 4 && number(s, 16, out); }

// Why a line is not an entry, or empty when `c` holds it.
std::string parse_entry(std::string_view line, Connection& c) {
  const auto w = words(line);
  if (w.size() < 9) return "has " + std::to_string(w.size()) + " fields, an entry has at least 9";
  c.protocol = std::string(w[0]);
  if (!address(w[1], c.client)) return "client address \"" + std::string(w[1]) + "\" is not an address";
  if (!port(w[2], c.client_port)) return "client port \"" + std::string(w[2]) + "\" is not a hex port";
  if (!address(w[3], c.virtual_address)) return "virtual address \"" + std::string(w[3]) + "\" is not an address";
  if (!port(w[4], c.virtual_port)) return "virtual port \"" + std::string(w[4]) + "\" is not a hex port";
  if (!address(w[5], c.destination)) return "destination \"" + std::string(w[5]) + "\" is not an address";
  if (!port(w[6], c.destination_port)) return "destination port \"" + std::string(w[6]) + "\" is not a hex port";
  if (c.client.family != c.virtual_address.family) return "client and virtual address are of different families";
  c.state = std::string(w[7]);
  if (!number(w[8], 10, c.expires_s)) return "expiry \"" + std::string(w[8]) + "\" is not a number of seconds";
  if (w.size() >= 10) c.pe_name = std::string(w[9]);
  for (std::size_t i = 10; i < w.size(); ++i) {
    if (i > 10) c.pe_data += ' ';
    c.pe_data += w[i];
  }
  return {};
}

}  // namespace

ConnectionTable parse_connection_table(std::string_view text) {
  ConnectionTable t;
  std::size_t pos = 0, number_of_line = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++number_of_line;
    if (number_of_line == 1 && line.substr(0, 4) == "Pro ") continue;  // the header
    if (words(line).empty()) continue;
    Connection c;
    std::string why = parse_entry(line, c);
    if (why.empty()) t.connections.push_back(std::move(c));
    else t.unreadable.push_back({number_of_line, std::string(line.substr(0, 200)), std::move(why)});
  }
  return t;
}

}  // namespace lvs::ipvs
