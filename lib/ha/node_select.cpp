#include "ha/node_select.h"

#include <ifaddrs.h>
#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

namespace lvs::ha {

Result<model::Node> select_node(const std::vector<model::Node>& nodes, const std::string& name,
                                const std::vector<net::IpAddress>& local) {
  if (!name.empty()) {
    for (const auto& n : nodes)
      if (n.name == name) return n;
    std::string known;
    for (const auto& n : nodes) known += (known.empty() ? "" : ", ") + n.name;
    return make_error(0, "--node " + name + " is not a node of the descriptor (nodes: " + known + ")");
  }
  std::vector<const model::Node*> mine;
  for (const auto& n : nodes)
    if (std::find(local.begin(), local.end(), n.address) != local.end()) mine.push_back(&n);
  if (mine.size() == 1) return *mine.front();
  if (mine.empty()) {
    std::string known;
    for (const auto& n : nodes) known += (known.empty() ? "" : ", ") + n.name + " " + n.address.to_string();
    return make_error(0, "no node's address is configured on this host (nodes: " + known +
                             "); give --node NAME or configure the node's address");
  }
  std::string both;
  for (const auto* n : mine) both += (both.empty() ? "" : " and ") + n->name;
  return make_error(0, "the addresses of " + both + " are all configured on this host; give --node NAME");
}

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
