// The firewall marks of marked fwmark services: the rules from a descriptor and their nft text.
#include <catch2/catch.hpp>

#include "desired/marks.h"
#include "model/loader.h"

using namespace lvs;
using namespace lvs::desired;

namespace {

net::IpAddress ip(const char* t) { return *net::IpAddress::parse(t); }

model::Cluster load(const std::string& services) {
  auto r = model::load_cluster_text(R"({"cluster": "t", "nodes": [{"name": "lb1", "address": "198.51.100.11", "priority": 150}],
    "pools": {"p": {"reals": [{"address": "203.0.113.1"}]}, "p6": {"reals": [{"address": "2001:db8:1::1"}]}},
    "services": [)" + services + "]}",
                                    "m.json");
  std::string found;
  for (const auto& d : r.diagnostics) found += d.to_string() + "\n";
  INFO(found);
  REQUIRE(r.ok());
  return *r.cluster;
}

}  // namespace

TEST_CASE("marks: one rule per marked service, in descriptor order; plain and operator-marked services have none") {
  auto c = load(R"(
    {"name": "smtp", "address": "192.0.2.10", "port": 25, "scheduler": "rr", "pool": "p"},
    {"name": "imap", "address": "192.0.2.10", "ports": [143, 993], "fwmark": 10, "scheduler": "rr", "pool": "p"},
    {"name": "other", "fwmark": 7, "scheduler": "rr", "pool": "p", "check": {"port": 80}},
    {"name": "dns6", "address": "2001:db8::10", "protocol": "udp", "port": 53, "fwmark": 11, "scheduler": "rr", "pool": "p6"})");
  MarkRules r = mark_rules(c);
  REQUIRE(r.rules.size() == 2);
  CHECK(r.rules[0] == MarkRule{ip("192.0.2.10"), model::Protocol::tcp, {143, 993}, 10});
  CHECK(r.rules[1] == MarkRule{ip("2001:db8::10"), model::Protocol::udp, {53}, 11});
  CHECK(mark_rules(load(R"({"name": "smtp", "address": "192.0.2.10", "port": 25, "scheduler": "rr", "pool": "p"})"))
            .empty());
}

TEST_CASE("marks: the script replaces the table inet lvsd_mark in one transaction") {
  MarkRules r{{MarkRule{ip("192.0.2.10"), model::Protocol::tcp, {143, 993}, 10},
               MarkRule{ip("2001:db8::10"), model::Protocol::udp, {53}, 11},
               MarkRule{ip("192.0.2.11"), model::Protocol::sctp, {5060}, 0xfffffffe}}};
  CHECK(mark_script(r) ==
        "add table inet lvsd_mark\n"
        "delete table inet lvsd_mark\n"
        "table inet lvsd_mark {\n"
        "  comment \"" + mark_fingerprint(r) + "\"\n"
        "  chain services {\n"
        "    type filter hook prerouting priority mangle; policy accept;\n"
        "    ip daddr 192.0.2.10 tcp dport { 143, 993 } meta mark set 0x0000000a\n"
        "    ip6 daddr 2001:db8::10 udp dport 53 meta mark set 0x0000000b\n"
        "    ip daddr 192.0.2.11 sctp dport 5060 meta mark set 0xfffffffe\n"
        "  }\n"
        "}\n");
  CHECK(mark_remove_script() == "add table inet lvsd_mark\ndelete table inet lvsd_mark\n");
  CHECK(std::string(kMarkTable) != "inet lvsd");  // not the takeover grace's table
}

TEST_CASE("marks: the fingerprint is stable for the same rules and differs for others") {
  MarkRules a{{MarkRule{ip("192.0.2.10"), model::Protocol::tcp, {143, 993}, 10}}};
  MarkRules b{{MarkRule{ip("192.0.2.10"), model::Protocol::tcp, {143, 993}, 11}}};
  MarkRules c{{MarkRule{ip("192.0.2.10"), model::Protocol::tcp, {143}, 10}}};
  CHECK(mark_fingerprint(a) == mark_fingerprint(MarkRules{a}));
  CHECK(mark_fingerprint(a).rfind("lvsd ", 0) == 0);
  CHECK(mark_fingerprint(a).size() == 5 + 16);
  CHECK(mark_fingerprint(a) != mark_fingerprint(b));
  CHECK(mark_fingerprint(a) != mark_fingerprint(c));
}
