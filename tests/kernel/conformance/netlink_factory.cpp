// The conformance suite against the kernel through NetlinkIpvs (inside the VM).
#include "conformance.h"
#include "ipvs/netlink_ipvs.h"

namespace lvs::conformance {

std::unique_ptr<ipvs::IpvsBackend> open_backend() {
  auto be = ipvs::NetlinkIpvs::open();
  INFO("NetlinkIpvs::open: " << (be ? std::string() : be.error().describe()));
  REQUIRE(be.ok());
  return std::move(*be);
}

// The VM's /init brings the loopback interface up.
std::string sync_interface() { return "lo"; }

}  // namespace lvs::conformance
