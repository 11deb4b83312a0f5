// `lvsctl list` output: ipvsadm's columns and order, exact JSON; plan lines.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "plan_text.h"
#include "table_format.h"

using namespace lvs::ipvs;
using namespace lvsctl;

namespace {

IpAddress ip(const char* t) { return *IpAddress::parse(t); }

Service svc(const char* vip, std::uint16_t port, const char* sched, Protocol proto = Protocol::tcp) {
  Service s;
  s.key.address = ip(vip);
  s.key.family = s.key.address.family;
  s.key.protocol = proto;
  s.key.port = port;
  s.scheduler = sched;
  if (s.key.family == Family::inet6) s.netmask = 128;
  return s;
}

DestinationState dst(const char* addr, std::uint16_t port, std::uint32_t weight, std::uint32_t active = 0,
                     std::uint32_t inactive = 0) {
  DestinationState d;
  d.dest.address = ip(addr);
  d.dest.family = d.dest.address.family;
  d.dest.port = port;
  d.dest.weight = weight;
  d.active_conns = active;
  d.inactive_conns = inactive;
  return d;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

Info info() { return Info{0x010201, 4096}; }

// A small table, deliberately out of ipvsadm's order.
Table sample() {
  Table t;
  Service fw;
  fw.key.family = Family::inet;
  fw.key.fwmark = 7;
  fw.scheduler = "sh";
  fw.flags = svc_flag::sched1 | svc_flag::sched2;
  t.services.push_back(ServiceState{fw, {}, {dst("203.0.113.5", 0, 1)}});
  auto imaps = svc("192.0.2.10", 993, "rr");
  imaps.timeout_s = 900;
  imaps.netmask = 0xffffff00;
  t.services.push_back(ServiceState{imaps, {}, {dst("198.51.100.12", 993, 1), dst("198.51.100.11", 993, 1)}});
  auto v6 = svc("2001:db8::10", 143, "fo");
  v6.timeout_s = 1800;
  v6.netmask = 64;
  t.services.push_back(ServiceState{v6, {}, {dst("2001:db8:1::11", 143, 100, 3, 7)}});
  auto dns = svc("192.0.2.10", 53, "wlc", Protocol::udp);
  dns.flags = svc_flag::onepacket;
  t.services.push_back(ServiceState{dns, {}, {}});
  auto smtp = svc("192.0.2.10", 25, "rr");
  t.services.push_back(ServiceState{smtp, {}, {dst("198.51.100.11", 25, 1, 12, 345)}});
  t.services.back().destinations[0].dest.forward = Forward::droute;
  return t;
}

}  // namespace

TEST_CASE("list: header and column titles are ipvsadm's") {
  auto t = sample();
  sort_table(t);
  auto l = lines(format_table_text(info(), t, {}));
  REQUIRE(l.size() >= 3);
  CHECK(l[0] == "IP Virtual Server version 1.2.1 (size=4096)");
  CHECK(l[1] == "Prot LocalAddress:Port Scheduler Flags");
  CHECK(l[2] == "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn");
}

TEST_CASE("list: services sort like ipvsadm: plain before fwmark, IPv4 before IPv6, tcp before udp") {
  auto t = sample();
  sort_table(t);
  std::vector<std::string> services;
  for (const auto& l : lines(format_table_text(info(), t, {})))
    if (l.rfind("  ->", 0) != 0 && l.rfind("IP Virtual", 0) != 0 && l.rfind("Prot", 0) != 0) services.push_back(l);
  REQUIRE(services.size() == 5);
  CHECK(services[0] == "TCP  192.0.2.10:25 rr");
  CHECK(services[1] == "TCP  192.0.2.10:993 rr persistent 900 mask 255.255.255.0");
  CHECK(services[2] == "UDP  192.0.2.10:53 wlc ops");
  CHECK(services[3] == "TCP  [2001:db8::10]:143 fo persistent 1800 mask 64");
  CHECK(services[4] == "FWM  7 sh (sh-fallback,sh-port)");
}

TEST_CASE("list: a real's line has forward, weight and connection counts in ipvsadm's columns") {
  auto t = sample();
  sort_table(t);
  auto l = lines(format_table_text(info(), t, {}));
  REQUIRE(l.size() > 4);
  const std::string& real = l[4];  // the real of TCP 192.0.2.10:25
  CHECK(real.substr(0, 5) == "  -> ");
  CHECK(real.substr(5, 28) == "198.51.100.11:25            ");
  CHECK(real.substr(34, 7) == "Route  ");
  CHECK(real.substr(42, 6) == "1     ");
  CHECK(real.substr(49, 10) == "12        ");
  CHECK(real.substr(60, 3) == "345");
  // reals sorted by address within their service
  CHECK(l[6].find("198.51.100.11:993") != std::string::npos);
  CHECK(l[7].find("198.51.100.12:993") != std::string::npos);
  CHECK(l[7].find("Masq") == 34);
}

TEST_CASE("list --stats: counters abbreviated like ipvsadm, or exact") {
  Table t;
  t.services.push_back(ServiceState{svc("192.0.2.10", 25, "rr"), {}, {dst("198.51.100.11", 25, 1)}});
  t.services[0].stats.conns = 42;
  t.services[0].stats.inpkts = 123456789;      // 100 million .. 1 billion: K
  t.services[0].stats.inbytes = 12345678901ull;  // .. 100 billion: M
  t.services[0].destinations[0].stats.outbytes = 5;
  auto l = lines(format_table_text(info(), t, ListFormat{ListColumns::stats, false}));
  REQUIRE(l.size() == 5);
  CHECK(l[1] == "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes");
  CHECK(l[2] == "  -> RemoteAddress:Port");
  CHECK(l[3] == "TCP  192.0.2.10:25                      42  123456K        0   12345M        0");
  CHECK(l[4] == "  -> 198.51.100.11:25                    0        0        0        0        5");
  auto exact = lines(format_table_text(info(), t, ListFormat{ListColumns::stats, true}));
  CHECK(exact[3].find(" 123456789        0 12345678901") != std::string::npos);
}

TEST_CASE("list --rate: rate columns") {
  Table t;
  t.services.push_back(ServiceState{svc("192.0.2.10", 25, "rr"), {}, {dst("198.51.100.11", 25, 1)}});
  t.services[0].stats.cps = 17;
  t.services[0].destinations[0].stats.inbps = 2048;
  auto l = lines(format_table_text(info(), t, ListFormat{ListColumns::rate, false}));
  REQUIRE(l.size() == 5);
  CHECK(l[1] == "Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS");
  CHECK(l[3] == "TCP  192.0.2.10:25                      17        0        0        0        0");
  CHECK(l[4] == "  -> 198.51.100.11:25                    0        0        0     2048        0");
}

TEST_CASE("list --json: every field, with exact 64-bit numbers") {
  auto t = sample();
  t.services[4].stats.inbytes = 18446744073709551615ull;
  t.services[4].destinations[0].persistent_conns = 9;
  sort_table(t);
  auto doc = nlohmann::json::parse(format_table_json(info(), t));
  CHECK(doc["version"] == "1.2.1");
  CHECK(doc["conn_table_size"] == 4096);
  REQUIRE(doc["services"].size() == 5);
  const auto& smtp = doc["services"][0];
  CHECK(smtp["protocol"] == "tcp");
  CHECK(smtp["address"] == "192.0.2.10");
  CHECK(smtp["port"] == 25);
  CHECK(smtp["stats"]["inbytes"].get<std::uint64_t>() == 18446744073709551615ull);
  CHECK(smtp["destinations"][0]["forward"] == "droute");
  CHECK(smtp["destinations"][0]["active_conns"] == 12);
  CHECK(smtp["destinations"][0]["inactive_conns"] == 345);
  CHECK(smtp["destinations"][0]["persistent_conns"] == 9);
  const auto& imaps = doc["services"][1];
  CHECK(imaps["persistent"] == true);
  CHECK(imaps["persistence_timeout_s"] == 900);
  CHECK(imaps["netmask"] == "255.255.255.0");
  const auto& fw = doc["services"][4];
  CHECK(fw["fwmark"] == 7);
  CHECK(fw["scheduler_flags"] == nlohmann::json::array({"sh-fallback", "sh-port"}));
  CHECK(doc["services"][3]["netmask"] == 64);
}

TEST_CASE("plan lines: one per operation, edits say what changes") {
  Table have;
  auto s = svc("192.0.2.10", 110, "rr");
  have.services.push_back(ServiceState{s, {}, {dst("198.51.100.12", 110, 1)}});
  Plan plan;
  auto d = dst("198.51.100.12", 110, 5).dest;
  auto s2 = s;
  s2.scheduler = "wlc";
  plan.operations = {EditService{s2}, EditDest{s.key, d}, AddService{svc("192.0.2.10", 25, "rr")}};
  auto l = lines(plan_lines(plan, have));
  REQUIRE(l.size() == 3);
  CHECK(l[0] == describe(plan.operations[0]) + ": scheduler rr -> wlc");
  CHECK(l[1] == describe(plan.operations[1]) + ": weight 1 -> 5");
  CHECK(l[2] == describe(plan.operations[2]));
}
