// The firewall marks through real nftables (lib/nft): the table inet lvsd_mark in a
// namespace made for the test, installed, left alone when it already holds the rules,
// replaced, removed. The context is opened inside the namespace and used from outside:
// its netlink socket stays where it was made, as lvsd's --netns needs. Root.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "daemon/probe_netns.h"
#include "nft/nft_marks.h"

namespace {

struct TestNetns {
  std::string name = "lvs-marks-ns-" + std::to_string(::getpid());
  TestNetns() {
    if (::geteuid() != 0) FAIL("the netns tier needs root (ip netns add)");
    REQUIRE(std::system(("ip netns add " + name).c_str()) == 0);
  }
  ~TestNetns() { [[maybe_unused]] int rc = std::system(("ip netns del " + name + " 2>/dev/null").c_str()); }
};

// `nft -a list table inet lvsd_mark` in the namespace ("" when there is none).
std::string listed(const TestNetns& ns) {
  std::string out;
  FILE* p = ::popen(("ip netns exec " + ns.name + " nft -a list table inet lvsd_mark 2>/dev/null").c_str(), "r");
  REQUIRE(p);
  char buf[512];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  ::pclose(p);
  return out;
}

lvs::net::IpAddress ip(const char* t) { return *lvs::net::IpAddress::parse(t); }

}  // namespace

TEST_CASE("nft marks: installed in the namespace, unchanged rules write nothing, removed; the host is untouched") {
  TestNetns ns;
  auto held = lvsd::ProbeNetns::open(ns.name);
  REQUIRE(held);
  std::unique_ptr<lvs::nft::NftMarks> marks;
  REQUIRE(held->run([&] {
    auto m = lvs::nft::NftMarks::open();
    if (m) marks = std::move(*m);
  }));
  REQUIRE(marks);
  const lvs::desired::MarkRules imap{
      {lvs::desired::MarkRule{ip("192.0.2.10"), lvs::model::Protocol::tcp, {143, 993}, 10},
       lvs::desired::MarkRule{ip("2001:db8::10"), lvs::model::Protocol::udp, {53}, 11}}};

  auto first = marks->install(imap);
  INFO((first ? std::string() : first.error().describe()));
  REQUIRE(first);
  CHECK(marks->writes() == 1);
  const std::string table = listed(ns);
  CHECK(table.find("ip daddr 192.0.2.10 tcp dport { 143, 993 } meta mark set 0x0000000a") != std::string::npos);
  CHECK(table.find("ip6 daddr 2001:db8::10 udp dport 53 meta mark set 0x0000000b") != std::string::npos);
  CHECK(table.find("type filter hook prerouting priority mangle; policy accept;") != std::string::npos);
  CHECK(std::system("nft list table inet lvsd_mark >/dev/null 2>&1") != 0);  // not in the host's namespace

  // The same rules again (a restart on the same descriptor): no write, same handles.
  REQUIRE(marks->install(imap));
  CHECK(marks->writes() == 0);
  CHECK(listed(ns) == table);

  lvs::desired::MarkRules smaller{{imap.rules[0]}};
  REQUIRE(marks->install(smaller));
  CHECK(marks->writes() == 1);
  CHECK(listed(ns).find("udp dport 53") == std::string::npos);

  REQUIRE(marks->remove());
  CHECK(marks->writes() == 1);
  CHECK(listed(ns).empty());
  REQUIRE(marks->remove());  // nothing left: nothing written
  CHECK(marks->writes() == 0);
}
