#include "backend_open.h"

#include <cstdio>

namespace lvsctl {

lvs::Result<std::unique_ptr<lvs::ipvs::NetlinkIpvs>> open_backend(const std::string& netns) {
  if (netns.empty()) return lvs::ipvs::NetlinkIpvs::open();
  return lvs::ipvs::NetlinkIpvs::open_in_netns(netns);
}

void print_error(const std::string& what, const lvs::Error& error) {
  std::fprintf(stderr, "lvsctl: %s: %s\n", what.c_str(), error.describe().c_str());
}

}  // namespace lvsctl
