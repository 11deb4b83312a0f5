#include "net/ip_address.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <charconv>
#include <cstring>

namespace lvs::net {

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) return std::nullopt;
  std::string s(text);
  IpAddress a;
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
    a.family = Family::inet;
    return a;
  }
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
    a.family = Family::inet6;
    return a;
  }
  return std::nullopt;
}

std::string IpAddress::to_string() const {
  if (family == Family::inet) {
    // By hand: inet_ntop formats IPv4 through sprintf, and a 10,000-service plan or
    // status prints addresses by the hundred thousand.
    std::string out;
    out.reserve(15);
    for (std::size_t i = 0; i < 4; ++i) {
      if (i) out += '.';
      const unsigned b = bytes[i];
      if (b >= 100) out += static_cast<char>('0' + b / 100);
      if (b >= 10) out += static_cast<char>('0' + b / 10 % 10);
      out += static_cast<char>('0' + b % 10);
    }
    return out;
  }
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(af(), bytes.data(), buf, sizeof buf);
  return buf;
}

int IpAddress::af() const { return family == Family::inet ? AF_INET : AF_INET6; }
int IpAddress::max_prefix() const { return family == Family::inet ? 32 : 128; }

bool IpAddress::is_unspecified() const {
  for (auto b : bytes)
    if (b != 0) return false;
  return true;
}

bool IpAddress::is_multicast() const {
  return family == Family::inet ? (bytes[0] & 0xf0) == 0xe0 : bytes[0] == 0xff;
}

bool IpAddress::contains(const IpAddress& other, int prefix) const {
  if (family != other.family || prefix < 0 || prefix > max_prefix()) return false;
  int full = prefix / 8, rest = prefix % 8;
  if (std::memcmp(bytes.data(), other.bytes.data(), full) != 0) return false;
  if (rest == 0) return true;
  std::uint8_t mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (bytes[full] & mask) == (other.bytes[full] & mask);
}

std::optional<IpPrefix> IpPrefix::parse(std::string_view text) {
  auto slash = text.find('/');
  auto addr = IpAddress::parse(text.substr(0, slash));
  if (!addr) return std::nullopt;
  IpPrefix p{*addr, addr->max_prefix()};
  if (slash != std::string_view::npos) {
    auto digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3) return std::nullopt;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), p.prefix);
    if (ec != std::errc{} || ptr != digits.data() + digits.size()) return std::nullopt;
    if (p.prefix < 0 || p.prefix > addr->max_prefix()) return std::nullopt;
  }
  return p;
}

std::string endpoint(const IpAddress& address, std::uint16_t port) {
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return host + ":" + std::to_string(port);
}

std::string IpPrefix::to_string() const { return address.to_string() + "/" + std::to_string(prefix); }

}  // namespace lvs::net
