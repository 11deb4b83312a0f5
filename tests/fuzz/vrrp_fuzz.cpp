// libFuzzer target for the VRRP advert parser: any bytes from the wire must give an advert
// or a drop reason, never a crash or undefined behaviour. An advert that parses must also
// survive encode -> parse unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <variant>

#include "ha/vrrp_packet.h"

namespace {

lvs::net::IpAddress ip(const char* text) { return *lvs::net::IpAddress::parse(text); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  // The first byte picks the envelope: family, TTL right or not, and whether the VIP
  // list is compared and a trailer allowed.
  const std::uint8_t mode = data[0];
  const bool v6 = mode & 1;
  lvs::ha::Envelope env;
  lvs::ha::Expectation expect;
  if (v6) {
    env = {ip("fe80::1"), ip("ff02::12"), (mode & 2) ? 255 : 64};
    expect = {51, lvs::net::Family::inet6, {}};
    if (mode & 4) expect.addresses = {ip("2001:db8::10")};
  } else {
    env = {ip("198.51.100.1"), ip("198.51.100.2"), (mode & 2) ? 255 : 1};
    expect = {51, lvs::net::Family::inet, {}};
    if (mode & 4) expect.addresses = {ip("192.0.2.10"), ip("192.0.2.20")};
  }
  const bool trailer = mode & 8;
  std::span<const std::uint8_t> payload(data + 1, size - 1);
  auto first = lvs::ha::parse_advert(payload, env, expect, trailer);
  if (auto* reason = std::get_if<lvs::ha::DropReason>(&first)) {
    if (lvs::ha::to_string(*reason) == "unknown") std::abort();
    return 0;
  }
  const auto& advert = std::get<lvs::ha::Advert>(first);
  auto wire = lvs::ha::encode_advert(advert, env.source, env.destination);
  auto second = lvs::ha::parse_advert(wire, env, expect, false);
  if (!std::holds_alternative<lvs::ha::Advert>(second) || !(std::get<lvs::ha::Advert>(second) == advert))
    std::abort();
  return 0;
}
