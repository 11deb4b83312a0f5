#include "backend_open.h"

#include <cstdio>

namespace lvsctl {

lvs::Result<std::unique_ptr<lvs::ipvs::NetlinkIpvs>> open_backend(const std::string& netns) {
  if (netns.empty()) return lvs::ipvs::NetlinkIpvs::open();
  return lvs::ipvs::NetlinkIpvs::open_in_netns(netns);
}

std::string open_failure(const std::string& netns, const lvs::Error& error) {
  return "lvsctl: " + (netns.empty() ? std::string("cannot open IPVS") : "cannot open IPVS in network namespace " + netns) +
         ": " + error.describe() + "\n";
}

void print_error(const std::string& what, const lvs::Error& error) {
  std::fprintf(stderr, "lvsctl: %s: %s\n", what.c_str(), error.describe().c_str());
}

}  // namespace lvsctl
