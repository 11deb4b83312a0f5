// A service named on the command line (lvsctl zero SERVICE).
#include <cerrno>
#include <charconv>

#include "table_commands.h"

namespace lvsctl {

using lvs::ipvs::Family;
using lvs::ipvs::Protocol;
using lvs::ipvs::ServiceKey;

namespace {

template <typename T>
bool decimal(std::string_view s, T& out) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), out, 10);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// "ADDR:PORT" or "[V6]:PORT".
bool endpoint(std::string_view text, lvs::net::IpAddress& address, std::uint16_t& port) {
  std::string_view host, p;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return false;
    host = text.substr(1, close - 1);
    p = text.substr(close + 2);
    auto a = lvs::net::IpAddress::parse(host);
    if (!a || !a->is_v6()) return false;
    address = *a;
  } else {
    auto colon = text.find(':');
    if (colon == std::string_view::npos || text.find(':', colon + 1) != std::string_view::npos) return false;
    host = text.substr(0, colon);
    p = text.substr(colon + 1);
    auto a = lvs::net::IpAddress::parse(host);
    if (!a || a->is_v6()) return false;
    address = *a;
  }
  return decimal(p, port);
}

}  // namespace

lvs::Result<ServiceKey> parse_service_arg(std::string_view text) {
  const auto bad = [&] {
    return lvs::Error{EINVAL, "\"" + std::string(text.substr(0, 80)) +
                                  "\" is not a service: write tcp:ADDR:PORT, udp:ADDR:PORT, sctp:ADDR:PORT "
                                  "(IPv6 as [ADDR]:PORT), fwmark:MARK or fwmark:MARK:inet6"};
  };
  auto sep = text.find_first_of(": ");
  if (sep == std::string_view::npos) return bad();
  const std::string_view kind = text.substr(0, sep), rest = text.substr(sep + 1);
  ServiceKey k;
  if (kind == "fwmark") {
    auto end = rest.find_first_of(": ");
    std::string_view mark = rest.substr(0, end), family;
    if (end != std::string_view::npos) family = rest.substr(end + 1);
    if (!decimal(mark, k.fwmark) || k.fwmark == 0) return bad();
    if (family == "inet6" || family == "(inet6)") k.family = Family::inet6;
    else if (family.empty() || family == "inet" || family == "(inet)") k.family = Family::inet;
    else return bad();
    return k;
  }
  if (kind == "tcp") k.protocol = Protocol::tcp;
  else if (kind == "udp") k.protocol = Protocol::udp;
  else if (kind == "sctp") k.protocol = Protocol::sctp;
  else return bad();
  if (!endpoint(rest, k.address, k.port)) return bad();
  k.family = k.address.family;
  return k;
}

}  // namespace lvsctl
