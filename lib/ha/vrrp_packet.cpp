#include "ha/vrrp_packet.h"

#include <algorithm>

namespace lvs::ha {
namespace {

using net::Family;
using net::IpAddress;

std::size_t address_bytes(Family family) { return family == Family::inet6 ? 16 : 4; }

// Adds big-endian 16-bit words of `bytes` to `sum` (an odd last byte is padded with 0).
std::uint32_t add_words(std::uint32_t sum, std::span<const std::uint8_t> bytes) {
  std::size_t i = 0;
  for (; i + 1 < bytes.size(); i += 2) sum += static_cast<std::uint32_t>(bytes[i] << 8 | bytes[i + 1]);
  if (i < bytes.size()) sum += static_cast<std::uint32_t>(bytes[i] << 8);
  return sum;
}

std::uint16_t fold(std::uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

std::span<const std::uint8_t> raw(const IpAddress& a) {
  return {a.bytes.data(), address_bytes(a.family)};
}

}  // namespace

bool same_addresses(std::vector<IpAddress> a, std::vector<IpAddress> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  a.erase(std::unique(a.begin(), a.end()), a.end());
  b.erase(std::unique(b.begin(), b.end()), b.end());
  return a == b;
}

std::string_view to_string(DropReason reason) {
  switch (reason) {
    case DropReason::truncated: return "truncated";
    case DropReason::bad_ttl: return "bad_ttl";
    case DropReason::bad_version: return "bad_version";
    case DropReason::bad_type: return "bad_type";
    case DropReason::bad_checksum: return "bad_checksum";
    case DropReason::wrong_vrid: return "wrong_vrid";
    case DropReason::family_mismatch: return "family_mismatch";
    case DropReason::no_addresses: return "no_addresses";
    case DropReason::addresses_differ: return "addresses_differ";
    case DropReason::zero_interval: return "zero_interval";
    case DropReason::trailing_bytes: return "trailing_bytes";
    case DropReason::auth_missing: return "auth_missing";
    case DropReason::auth_bad_key: return "auth_bad_key";
    case DropReason::auth_bad_mac: return "auth_bad_mac";
    case DropReason::auth_replay: return "auth_replay";
    case DropReason::unknown_source: return "unknown_source";
  }
  return "unknown";
}

std::size_t advert_length(Family family, std::size_t count) {
  return kHeaderBytes + count * address_bytes(family);
}

std::uint16_t vrrp_checksum(std::span<const std::uint8_t> message, const IpAddress& source,
                            const IpAddress& destination) {
  std::uint32_t sum = add_words(0, raw(source));
  sum = add_words(sum, raw(destination));
  const auto length = static_cast<std::uint32_t>(message.size());
  if (source.is_v6()) {
    // RFC 8200 8.1: 32-bit upper-layer length, 24 zero bits, next header.
    sum += length >> 16;
    sum += length & 0xffff;
    sum += kVrrpProtocol;
  } else {
    // IPv4: zero, protocol, 16-bit length.
    sum += kVrrpProtocol;
    sum += length & 0xffff;
  }
  return fold(add_words(sum, message));
}

std::vector<std::uint8_t> encode_advert(const Advert& advert, const IpAddress& source,
                                        const IpAddress& destination) {
  std::vector<IpAddress> mine;
  for (const auto& a : advert.addresses)
    if (a.family == source.family) mine.push_back(a);
  const auto count = std::min<std::size_t>(mine.size(), 255);
  std::vector<std::uint8_t> out;
  out.reserve(advert_length(source.family, count));
  const std::uint16_t interval = std::min(advert.interval_cs, kMaxIntervalCs);
  out.push_back(static_cast<std::uint8_t>(kVrrpVersion << 4 | (advert.type & 0x0f)));
  out.push_back(advert.vrid);
  out.push_back(advert.priority);
  out.push_back(static_cast<std::uint8_t>(count));
  out.push_back(static_cast<std::uint8_t>(interval >> 8));  // 4 reserved bits stay 0
  out.push_back(static_cast<std::uint8_t>(interval & 0xff));
  out.push_back(0);
  out.push_back(0);
  for (std::size_t i = 0; i < count; ++i) {
    const auto bytes = raw(mine[i]);
    out.insert(out.end(), bytes.begin(), bytes.end());
  }
  const std::uint16_t sum = vrrp_checksum(out, source, destination);
  out[6] = static_cast<std::uint8_t>(sum >> 8);
  out[7] = static_cast<std::uint8_t>(sum & 0xff);
  return out;
}

ParseResult parse_advert(std::span<const std::uint8_t> payload, const Envelope& envelope,
                         const Expectation& expect, bool allow_trailer) {
  if (envelope.source.family != expect.family || envelope.destination.family != expect.family)
    return DropReason::family_mismatch;
  if (envelope.ttl != kRequiredTtl) return DropReason::bad_ttl;
  if (payload.size() < kHeaderBytes) return DropReason::truncated;
  if ((payload[0] >> 4) != kVrrpVersion) return DropReason::bad_version;
  const std::uint8_t type = payload[0] & 0x0f;
  if (type != kTypeAdvert && !(type == kTypeStandby && expect.standby_reports)) return DropReason::bad_type;
  const std::size_t count = payload[3];
  const std::size_t length = advert_length(expect.family, count);
  if (payload.size() < length) return DropReason::truncated;
  if (payload.size() > length && !allow_trailer) return DropReason::trailing_bytes;
  const auto message = payload.first(length);
  if (vrrp_checksum(message, envelope.source, envelope.destination) != 0) return DropReason::bad_checksum;
  if (payload[1] != expect.vrid) return DropReason::wrong_vrid;
  if (count == 0) return DropReason::no_addresses;

  Advert advert;
  advert.type = type;
  advert.vrid = payload[1];
  advert.priority = payload[2];
  advert.interval_cs = static_cast<std::uint16_t>((payload[4] & 0x0f) << 8 | payload[5]);
  if (advert.interval_cs == 0) return DropReason::zero_interval;
  const std::size_t width = address_bytes(expect.family);
  advert.addresses.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    IpAddress a;
    a.family = expect.family;
    std::copy_n(message.begin() + static_cast<std::ptrdiff_t>(kHeaderBytes + i * width), width, a.bytes.begin());
    advert.addresses.push_back(a);
  }
  // A standby report's list says which VIPs the standby runs; it is not an advert's claim.
  if (type == kTypeAdvert && !expect.addresses.empty() && advert.priority != 255 &&
      !same_addresses(advert.addresses, expect.addresses) &&
      !(!expect.previous_addresses.empty() && same_addresses(advert.addresses, expect.previous_addresses)))
    return DropReason::addresses_differ;
  return advert;
}

}  // namespace lvs::ha
