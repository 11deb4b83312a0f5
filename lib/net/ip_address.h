#pragma once
// An IPv4 or IPv6 address as a plain value, parsed and printed in canonical form.
#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lvs::net {

enum class Family : std::uint8_t { inet = 4, inet6 = 6 };

struct IpAddress {
  Family family = Family::inet;
  std::array<std::uint8_t, 16> bytes{};  // IPv4 uses the first 4 bytes, the rest stay 0

  static std::optional<IpAddress> parse(std::string_view text);
  std::string to_string() const;
  int af() const;          // AF_INET or AF_INET6
  int max_prefix() const;  // 32 or 128
  bool is_v6() const { return family == Family::inet6; }
  bool is_unspecified() const;
  bool is_multicast() const;
  // True when `other` lies inside this address's /prefix network.
  bool contains(const IpAddress& other, int prefix) const;

  auto operator<=>(const IpAddress&) const = default;
  bool operator==(const IpAddress&) const = default;
};

// "192.0.2.10/24" or "2001:db8::1/64"; prefix defaults to the full length when absent.
struct IpPrefix {
  IpAddress address;
  int prefix = 32;
  static std::optional<IpPrefix> parse(std::string_view text);
  std::string to_string() const;
  bool operator==(const IpPrefix&) const = default;
};

// "203.0.113.81:25" or "[2001:db8::1]:25": the one place an address and port are
// written together.
std::string endpoint(const IpAddress& address, std::uint16_t port);

}  // namespace lvs::net
