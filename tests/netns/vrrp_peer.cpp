// vrrp_peer: sends or listens for VRRPv3 adverts through lib/ha (codec and socket), so
// the netns tier can check our wire format against a real keepalived in both directions.
// Run it with `ip netns exec`. Exit 0 on success, 1 on failure, 2 on a usage error.
//   vrrp_peer listen --source A --interface IF --vrid N [--vip X]... [--count K] [--timeout S] [--multicast]
//   vrrp_peer send --source A --interface IF --to B --vrid N --priority P --vip X... [--count K]
//                  [--interval-ms M] [--multicast]
#include <poll.h>

#include <chrono>
#include <iostream>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <CLI/CLI.hpp>

#include "ha/vrrp_packet.h"
#include "ha/vrrp_socket.h"

namespace {

using lvs::net::IpAddress;

std::vector<IpAddress> parse_all(const std::vector<std::string>& texts) {
  std::vector<IpAddress> out;
  for (const auto& t : texts) {
    auto a = IpAddress::parse(t);
    if (!a) throw CLI::ValidationError("--vip", "not an address: " + t);
    out.push_back(*a);
  }
  return out;
}

std::string describe(const lvs::ha::Advert& a, const lvs::ha::Envelope& env) {
  std::string s = "advert from " + env.source.to_string() + " vrid=" + std::to_string(a.vrid) +
                  " priority=" + std::to_string(a.priority) + " interval_cs=" + std::to_string(a.interval_cs) +
                  " addresses=";
  for (std::size_t i = 0; i < a.addresses.size(); ++i) s += (i ? "," : "") + a.addresses[i].to_string();
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"send or listen for VRRPv3 adverts (lib/ha)"};
  app.require_subcommand(1);
  std::string source, interface, to;
  int vrid = 0, priority = 100, count = 3, interval_ms = 1000, timeout_s = 10;
  std::vector<std::string> vips;
  bool multicast = false;
  auto common = [&](CLI::App* c) {
    c->add_option("--source", source, "our address")->required();
    c->add_option("--interface", interface, "interface")->required();
    c->add_option("--vrid", vrid, "virtual router id")->required()->check(CLI::Range(1, 255));
    c->add_option("--vip", vips, "virtual address");
    c->add_option("--count", count, "adverts to send or to wait for")->check(CLI::Range(1, 100000));
    c->add_flag("--multicast", multicast, "use the VRRP multicast group");
  };
  auto* listen = app.add_subcommand("listen", "print adverts; succeed after --count good ones");
  common(listen);
  listen->add_option("--timeout", timeout_s, "seconds")->check(CLI::Range(1, 600));
  auto* send = app.add_subcommand("send", "send --count adverts");
  common(send);
  send->add_option("--to", to, "peer address (not with --multicast)");
  send->add_option("--priority", priority, "0..255")->check(CLI::Range(0, 255));
  send->add_option("--interval-ms", interval_ms, "between adverts")->check(CLI::Range(10, 40950));
  CLI11_PARSE(app, argc, argv);

  auto src = IpAddress::parse(source);
  if (!src) {
    std::cerr << "vrrp_peer: --source is not an address\n";
    return 2;
  }
  std::vector<IpAddress> vip_list;
  try {
    vip_list = parse_all(vips);
  } catch (const CLI::Error& e) {
    std::cerr << "vrrp_peer: " << e.what() << "\n";
    return 2;
  }
  auto sock = lvs::ha::VrrpSocket::open({*src, interface, multicast});
  if (!sock) {
    std::cerr << "vrrp_peer: " << sock.error().describe() << "\n";
    return 1;
  }

  if (*send) {
    IpAddress dst = multicast ? lvs::ha::vrrp_multicast_group(src->family) : IpAddress{};
    if (!multicast) {
      auto d = IpAddress::parse(to);
      if (!d) {
        std::cerr << "vrrp_peer: --to is not an address\n";
        return 2;
      }
      dst = *d;
    }
    lvs::ha::Advert a{static_cast<std::uint8_t>(vrid), static_cast<std::uint8_t>(priority),
                      static_cast<std::uint16_t>(interval_ms / 10), vip_list};
    const auto wire = lvs::ha::encode_advert(a, *src, dst);
    for (int i = 0; i < count; ++i) {
      if (auto s = sock->send(wire, dst); !s) {
        std::cerr << "vrrp_peer: " << s.error().describe() << "\n";
        return 1;
      }
      std::cout << "sent priority " << priority << " to " << dst.to_string() << std::endl;
      if (i + 1 < count) std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
    }
    return 0;
  }

  lvs::ha::Expectation expect{static_cast<std::uint8_t>(vrid), src->family, vip_list};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  int good = 0, dropped = 0;
  while (good < count) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{sock->fd(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    auto got = sock->receive();
    if (!got) {
      std::cerr << "vrrp_peer: " << got.error().describe() << "\n";
      return 1;
    }
    if (!*got) continue;
    const auto& d = **got;
    auto parsed = lvs::ha::parse_advert(d.payload, d.envelope, expect);
    if (auto* reason = std::get_if<lvs::ha::DropReason>(&parsed)) {
      ++dropped;
      std::cout << "dropped from " << d.envelope.source.to_string() << ": " << lvs::ha::to_string(*reason)
                << " (ttl " << d.envelope.ttl << ", " << d.payload.size() << " bytes)" << std::endl;
      continue;
    }
    ++good;
    std::cout << describe(std::get<lvs::ha::Advert>(parsed), d.envelope) << std::endl;
  }
  std::cout << good << " good, " << dropped << " dropped" << std::endl;
  return good >= count && dropped == 0 ? 0 : 1;
}
