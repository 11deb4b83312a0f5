// NetlinkIpvs::open on whatever kernel runs the unit tier. The build machines' kernels
// have no IPVS (KERNEL-TESTS.md): there the error must say so in plain words. Where a
// kernel does have IPVS, the opened backend must at least answer info().
#include <catch2/catch.hpp>
#include <cerrno>
#include <string>

#include "ipvs/netlink_ipvs.h"

using lvs::ipvs::NetlinkIpvs;

TEST_CASE("open: a kernel without IPVS is reported in plain words, with what to do", "[unit][netlink]") {
  auto be = NetlinkIpvs::open();
  if (be.ok()) {
    auto info = (*be)->info();
    INFO((info ? std::string() : info.error().describe()));
    // IPVS exists here; unprivileged callers get the CAP_NET_ADMIN words instead.
    if (!info.ok()) CHECK(info.error().message.find("needs CAP_NET_ADMIN (run as root)") != std::string::npos);
    else CHECK(info->conn_table_size > 0u);
    return;
  }
  INFO(be.error().describe());
  CHECK(be.error().code == EPROTONOSUPPORT);
  CHECK(be.error().message ==
        "the kernel has no IPVS support (load it with `modprobe ip_vs`, or check CONFIG_IP_VS)");
}

TEST_CASE("open: a missing network namespace is named in the error", "[unit][netlink]") {
  auto be = NetlinkIpvs::open_in_netns("lvs-unit-no-such-namespace");
  REQUIRE_FALSE(be.ok());
  CHECK(be.error().message.find("lvs-unit-no-such-namespace") != std::string::npos);
}

TEST_CASE("open: a namespace name that is a path is refused", "[unit][netlink]") {
  auto be = NetlinkIpvs::open_in_netns("../etc");
  REQUIRE_FALSE(be.ok());
  CHECK(be.error().code == EINVAL);
  CHECK(be.error().message.find("'../etc'") != std::string::npos);
}
