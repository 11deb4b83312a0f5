#include "wire_support.h"

#include <catch2/catch.hpp>
#include <cstring>

namespace lvs::ipvs::test {

IpAddress ip(const char* text) {
  auto a = IpAddress::parse(text);
  REQUIRE(a.has_value());
  return *a;
}

Parsed parse(nl_msg* msg) {
  Parsed p;
  p.nlh = nlmsg_hdr(msg);
  p.genl = static_cast<genlmsghdr*>(nlmsg_data(p.nlh));
  p.error = genlmsg_parse(p.nlh, 0, p.top.data(), IPVS_CMD_ATTR_MAX, wire::cmd_policy.data());
  return p;
}

std::array<nlattr*, IPVS_SVC_ATTR_MAX + 1> service_attrs(nlattr* nest) {
  std::array<nlattr*, IPVS_SVC_ATTR_MAX + 1> tb{};
  REQUIRE(nest != nullptr);
  REQUIRE(nla_parse_nested(tb.data(), IPVS_SVC_ATTR_MAX, nest, wire::service_policy.data()) == 0);
  return tb;
}

std::array<nlattr*, IPVS_DEST_ATTR_MAX + 1> dest_attrs(nlattr* nest) {
  std::array<nlattr*, IPVS_DEST_ATTR_MAX + 1> tb{};
  REQUIRE(nest != nullptr);
  REQUIRE(nla_parse_nested(tb.data(), IPVS_DEST_ATTR_MAX, nest, wire::dest_policy.data()) == 0);
  return tb;
}

std::array<nlattr*, IPVS_DAEMON_ATTR_MAX + 1> daemon_attrs(nlattr* nest) {
  std::array<nlattr*, IPVS_DAEMON_ATTR_MAX + 1> tb{};
  REQUIRE(nest != nullptr);
  REQUIRE(nla_parse_nested(tb.data(), IPVS_DAEMON_ATTR_MAX, nest, wire::daemon_policy.data()) == 0);
  return tb;
}

IpAddress addr_of(nlattr* a, Family family) {
  REQUIRE(a != nullptr);
  REQUIRE(nla_len(a) == 16);
  IpAddress out;
  out.family = family;
  std::memcpy(out.bytes.data(), nla_data(a), family == Family::inet6 ? 16 : 4);
  return out;
}

}  // namespace lvs::ipvs::test
