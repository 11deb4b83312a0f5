#include "ha/local_addresses.h"

#include <ifaddrs.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace lvs::ha {

Result<std::vector<net::IpAddress>> local_addresses() {
  ifaddrs* raw = nullptr;
  if (::getifaddrs(&raw) != 0) return make_error(errno, "cannot list this host's addresses");
  std::unique_ptr<ifaddrs, decltype(&::freeifaddrs)> list(raw, &::freeifaddrs);
  std::vector<net::IpAddress> out;
  for (const ifaddrs* i = raw; i; i = i->ifa_next) {
    if (!i->ifa_addr) continue;
    net::IpAddress a;
    if (i->ifa_addr->sa_family == AF_INET) {
      a.family = net::Family::inet;
      std::memcpy(a.bytes.data(), &reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr, 4);
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      a.family = net::Family::inet6;
      std::memcpy(a.bytes.data(), &reinterpret_cast<const sockaddr_in6*>(i->ifa_addr)->sin6_addr, 16);
    } else {
      continue;
    }
    out.push_back(a);
  }
  return out;
}

}  // namespace lvs::ha
