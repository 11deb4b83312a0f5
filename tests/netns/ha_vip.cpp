// ha_vip: lib/ha's VIP backend (rtnetlink) and announcer (gratuitous ARP / unsolicited
// NA) from the command line, for the netns tier. Run it with `ip netns exec`.
//   ha_vip add|remove|present|announce --vip ADDRESS/PREFIX --interface IF
// Exit 0 on success (present: the VIP is there), 1 on failure (present: absent), 2 on usage.
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "ha/announce.h"
#include "ha/vip_addresses.h"

int main(int argc, char** argv) {
  CLI::App app{"add, remove, test or announce a VIP (lib/ha)"};
  std::string action, vip_text, interface;
  app.add_option("action", action, "add | remove | present | announce")
      ->required()
      ->check(CLI::IsMember({"add", "remove", "present", "announce"}));
  app.add_option("--vip", vip_text, "ADDRESS/PREFIX")->required();
  app.add_option("--interface", interface, "interface")->required();
  CLI11_PARSE(app, argc, argv);
  auto prefix = lvs::net::IpPrefix::parse(vip_text);
  if (!prefix) {
    std::cerr << "ha_vip: not an address/prefix: " << vip_text << "\n";
    return 2;
  }
  lvs::ha::VipAddress vip{*prefix, interface};
  if (action == "announce") {
    lvs::ha::KernelAnnouncer announcer;
    auto s = announcer.announce(vip);
    if (!s) std::cerr << "ha_vip: " << s.error().describe() << "\n";
    return s ? 0 : 1;
  }
  auto backend = lvs::ha::RtnlAddresses::open();
  if (!backend) {
    std::cerr << "ha_vip: " << backend.error().describe() << "\n";
    return 1;
  }
  if (action == "present") {
    auto p = (*backend)->present(vip);
    if (!p) {
      std::cerr << "ha_vip: " << p.error().describe() << "\n";
      return 2;
    }
    return *p ? 0 : 1;
  }
  auto s = action == "add" ? (*backend)->add(vip) : (*backend)->remove(vip);
  if (!s) std::cerr << "ha_vip: " << s.error().describe() << "\n";
  return s ? 0 : 1;
}
