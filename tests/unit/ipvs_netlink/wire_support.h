#pragma once
// Helpers for reading back the attributes of messages built by ipvs/netlink_messages.h.
#include <netlink/genl/genl.h>

#include <array>
#include <cstdint>
#include <string>

#include "ipvs/netlink_messages.h"

namespace lvs::ipvs::test {

constexpr int kFamily = 0x2a;  // any generic-netlink family id will do without a kernel

IpAddress ip(const char* text);

// The top-level attributes of one request or reply, parsed with the backend's policy.
struct Parsed {
  nlmsghdr* nlh = nullptr;
  genlmsghdr* genl = nullptr;
  std::array<nlattr*, IPVS_CMD_ATTR_MAX + 1> top{};
  int error = 0;
};
Parsed parse(nl_msg* msg);

std::array<nlattr*, IPVS_SVC_ATTR_MAX + 1> service_attrs(nlattr* nest);
std::array<nlattr*, IPVS_DEST_ATTR_MAX + 1> dest_attrs(nlattr* nest);
std::array<nlattr*, IPVS_DAEMON_ATTR_MAX + 1> daemon_attrs(nlattr* nest);

// The 16-byte address attribute as an IpAddress of `family`.
IpAddress addr_of(nlattr* a, Family family);

}  // namespace lvs::ipvs::test
