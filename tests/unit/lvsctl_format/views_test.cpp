// The ipvsadm views of `lvsctl list` (--thresholds, --persistent-conn, -c), `timeouts`
// and `zero`: exact text against ipvsadm's printf formats, the JSON shapes, and the
// commands against FakeIpvs. Parsing /proc/net/ip_vs_conn: every line kind, and bad
// input reported line by line, never fatal.
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdio>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "conn_format.h"
#include "ipvs/connections.h"
#include "ipvs/fake_ipvs.h"
#include "table_commands.h"
#include "table_format.h"

using namespace lvs::ipvs;
using namespace lvsctl;

namespace {

IpAddress ip(const char* t) { return *IpAddress::parse(t); }

// What ipvsadm prints for one entry: its own printf format, so the expectation does
// not share code with the formatter under test.
std::string ipvsadm_conn(const char* proto, const char* expire, const char* state, const char* c, const char* v,
                         const char* d) {
  char b[256];
  std::snprintf(b, sizeof b, "%-3s %-6s %-11s %-18s %-18s %s\n", proto, expire, state, c, v, d);
  return b;
}

const char* kProc =
    "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n"
    "TCP C0000264 A0C2 C000020A 1B58 CB00710B 1B58 ESTABLISHED     899\n"
    "TCP C0000264 0000 C000020A 1B59 CB00710C 1B59 NONE            287\n"
    "TCP 2001:0db8:0001:0000:0000:0000:0000:0064 9C40 2001:0db8:0001:0000:0000:0000:0000:000a 03E1 "
    "2001:0db8:0002:0000:0000:0000:0000:0011 03E1 TIME_WAIT        61\n"
    "UDP C0000264 13C4 C000020F 13C4 C6336415 13C4 UDP             299 sip abc@192.0.2.100\n";

ServiceKey tcp_key(const char* vip, std::uint16_t port) {
  ServiceKey k;
  k.address = ip(vip);
  k.family = k.address.family;
  k.protocol = Protocol::tcp;
  k.port = port;
  return k;
}

}  // namespace

TEST_CASE("connections: /proc/net/ip_vs_conn lines of IPv4, IPv6, templates and engine data are read") {
  ConnectionTable t = parse_connection_table(kProc);
  CHECK(t.unreadable.empty());
  REQUIRE(t.connections.size() == 4);
  const Connection& a = t.connections[0];
  CHECK(a.protocol == "TCP");
  CHECK(a.client == ip("192.0.2.100"));
  CHECK(a.client_port == 0xA0C2);
  CHECK(a.virtual_address == ip("192.0.2.10"));
  CHECK(a.virtual_port == 7000);
  CHECK(a.destination == ip("203.0.113.11"));
  CHECK(a.destination_port == 7000);
  CHECK(a.state == "ESTABLISHED");
  CHECK(a.expires_s == 899);
  CHECK(a.pe_name.empty());
  CHECK(t.connections[1].state == "NONE");
  CHECK(t.connections[1].client_port == 0);
  CHECK(t.connections[2].client == ip("2001:db8:1::64"));
  CHECK(t.connections[2].destination == ip("2001:db8:2::11"));
  CHECK(t.connections[3].pe_name == "sip");
  CHECK(t.connections[3].pe_data == "abc@192.0.2.100");
}

TEST_CASE("connections: bad lines are reported with their number and reason; the good ones are kept") {
  const std::string text = std::string(kProc) +
                           "TCP C0000264 A0C2\n"                                                    // 6: short
                           "TCP C00002 A0C2 C000020A 1B58 CB00710B 1B58 ESTABLISHED 899\n"          // 7: address
                           "TCP C0000264 A0C2G C000020A 1B58 CB00710B 1B58 ESTABLISHED 899\n"       // 8: port
                           "TCP C0000264 A0C2 C000020A 1B58 CB00710B 1B58 ESTABLISHED -1\n"         // 9: expiry
                           "\n"                                                                      // 10: blank
                           "TCP 2001:db8::1 0001 C000020A 1B58 CB00710B 1B58 ESTABLISHED 5\n"       // 11: families
                           "TCP C0000265 A0C3 C000020A 1B58 CB00710B 1B58 SYN_RECV 59";             // 12: no newline
  ConnectionTable t = parse_connection_table(text);
  CHECK(t.connections.size() == 5);
  CHECK(t.connections.back().state == "SYN_RECV");
  REQUIRE(t.unreadable.size() == 5);
  CHECK(t.unreadable[0].line == 6);
  CHECK(t.unreadable[0].reason.find("3 fields") != std::string::npos);
  CHECK(t.unreadable[1].line == 7);
  CHECK(t.unreadable[1].reason.find("client address") != std::string::npos);
  CHECK(t.unreadable[2].line == 8);
  CHECK(t.unreadable[2].reason.find("client port") != std::string::npos);
  CHECK(t.unreadable[3].line == 9);
  CHECK(t.unreadable[3].reason.find("expiry") != std::string::npos);
  CHECK(t.unreadable[4].line == 11);
  CHECK(t.unreadable[4].reason.find("families") != std::string::npos);
}

TEST_CASE("connections: random bytes never crash the reader; every line is either read or reported") {
  std::mt19937 rng(20261129);
  const std::string alphabet = "TCPUDP0123456789ABCDEF:abcdef .\n\t\r\x01\xff";
  for (int round = 0; round < 2000; ++round) {
    std::string text = round % 2 ? std::string(kProc) : std::string();
    const std::size_t n = rng() % 300;
    for (std::size_t i = 0; i < n; ++i) text += alphabet[rng() % alphabet.size()];
    ConnectionTable t = parse_connection_table(text);
    std::size_t lines = 1;
    for (char c : text) lines += c == '\n';
    REQUIRE(t.connections.size() + t.unreadable.size() <= lines);
    for (const auto& u : t.unreadable) REQUIRE(u.text.size() <= 200);
  }
}

TEST_CASE("list -c: ipvsadm -Lnc's title and columns, IPv6 in brackets, expiry as mm:ss") {
  ConnectionTable t = parse_connection_table(kProc);
  const std::string want = std::string("IPVS connection entries\n") +
                           "pro expire state       source             virtual            destination\n" +
                           ipvsadm_conn("TCP", "14:59", "ESTABLISHED", "192.0.2.100:41154", "192.0.2.10:7000",
                                        "203.0.113.11:7000") +
                           ipvsadm_conn("TCP", "04:47", "NONE", "192.0.2.100:0", "192.0.2.10:7001", "203.0.113.12:7001") +
                           ipvsadm_conn("TCP", "01:01", "TIME_WAIT", "[2001:db8:1::64]:40000", "[2001:db8:1::a]:993",
                                        "[2001:db8:2::11]:993") +
                           ipvsadm_conn("UDP", "04:59", "UDP", "192.0.2.100:5060", "192.0.2.15:5060",
                                        "198.51.100.21:5060");
  CHECK(format_connections_text(t, false) == want);
}

TEST_CASE("list -c --persistent-conn: engine columns where an entry has engine data, as ipvsadm") {
  ConnectionTable t = parse_connection_table(kProc);
  const std::string text = format_connections_text(t, true);
  char title[256], sip[256];
  std::snprintf(title, sizeof title, "pro expire %-11s %-18s %-18s %-18s %-16s %s\n", "state", "source", "virtual",
                "destination", "pe name", "pe_data");
  std::snprintf(sip, sizeof sip, "%-3s %-6s %-11s %-18s %-18s %-16s %-18s %s\n", "UDP", "04:59", "UDP",
                "192.0.2.100:5060", "192.0.2.15:5060", "198.51.100.21:5060", "sip", "abc@192.0.2.100");
  CHECK(text.find(std::string("IPVS connection entries\n") + title) == 0);
  CHECK(text.find(sip) != std::string::npos);
  CHECK(text.find(ipvsadm_conn("TCP", "14:59", "ESTABLISHED", "192.0.2.100:41154", "192.0.2.10:7000",
                               "203.0.113.11:7000")) != std::string::npos);
}

TEST_CASE("list -c: expiry minutes grow past 59 and 99 as ipvsadm's %02d does") {
  CHECK(expire_text(0) == "00:00");
  CHECK(expire_text(59) == "00:59");
  CHECK(expire_text(3600) == "60:00");
  CHECK(expire_text(6001) == "100:01");
}

TEST_CASE("list -c --json: one document, every field, bad lines listed") {
  ConnectionTable t = parse_connection_table(std::string(kProc) + "garbage\n");
  auto doc = nlohmann::json::parse(format_connections_json(t));
  REQUIRE(doc["connections"].size() == 4);
  const auto& c = doc["connections"][0];
  CHECK(c["protocol"] == "tcp");
  CHECK(c["client_address"] == "192.0.2.100");
  CHECK(c["client_port"] == 41154);
  CHECK(c["virtual_address"] == "192.0.2.10");
  CHECK(c["virtual_port"] == 7000);
  CHECK(c["destination_address"] == "203.0.113.11");
  CHECK(c["destination_port"] == 7000);
  CHECK(c["state"] == "ESTABLISHED");
  CHECK(c["expires_s"] == 899);
  CHECK(c["persistence_engine"] == "");
  CHECK(doc["connections"][3]["persistence_engine"] == "sip");
  CHECK(doc["connections"][3]["persistence_engine_data"] == "abc@192.0.2.100");
  REQUIRE(doc["unreadable_lines"].size() == 1);
  CHECK(doc["unreadable_lines"][0]["line"] == 6);
  CHECK(doc["unreadable_lines"][0]["text"] == "garbage");
}

namespace {

// A table with thresholds and persistent connection counts, through FakeIpvs.
FakeIpvs& views_fake(FakeIpvs& fake) {
  Service s;
  s.key = tcp_key("192.0.2.10", 7001);
  s.scheduler = "wlc";
  s.timeout_s = 300;
  REQUIRE(fake.add_service(s).ok());
  Destination d;
  d.address = ip("203.0.113.12");
  d.port = 7001;
  d.weight = 1;
  d.upper_threshold = 9;
  d.lower_threshold = 3;
  REQUIRE(fake.add_destination(s.key, d).ok());
  REQUIRE(fake.set_counters(s.key, key_of(d), Stats{5, 60, 50, 4000, 9000}, 3, 1, 1).ok());
  return fake;
}

}  // namespace

TEST_CASE("list --thresholds and --persistent-conn: ipvsadm's titles and columns") {
  FakeIpvs fake;
  views_fake(fake);
  ListArgs a;
  a.thresholds = true;
  auto out = list_view(a, fake);
  CHECK(out.exit_code == kExitOk);
  char title[160], real[160];
  std::snprintf(title, sizeof title, "%-33s %-10s %-10s %-10s %-10s\n  -> RemoteAddress:Port\n",
                "Prot LocalAddress:Port", "Uthreshold", "Lthreshold", "ActiveConn", "InActConn");
  std::snprintf(real, sizeof real, "  -> %-28s %-10u %-10u %-10u %-10u\n", "203.0.113.12:7001", 9u, 3u, 3u, 1u);
  CHECK(out.out == "IP Virtual Server version 1.2.1 (size=4096)\n" + std::string(title) +
                       "TCP  192.0.2.10:7001 wlc persistent 300\n" + real);

  a.thresholds = false;
  a.persistent = true;
  out = list_view(a, fake);
  std::snprintf(title, sizeof title, "%-33s %-9s %-11s %-10s %-10s\n  -> RemoteAddress:Port\n",
                "Prot LocalAddress:Port", "Weight", "PersistConn", "ActiveConn", "InActConn");
  std::snprintf(real, sizeof real, "  -> %-28s %-9u %-11u %-10u %-10u\n", "203.0.113.12:7001", 1u, 1u, 3u, 1u);
  CHECK(out.out == "IP Virtual Server version 1.2.1 (size=4096)\n" + std::string(title) +
                       "TCP  192.0.2.10:7001 wlc persistent 300\n" + real);
}

TEST_CASE("list -c against FakeIpvs: the table, a failed read, and unreadable lines exit 2 naming them") {
  FakeIpvs fake;
  ListArgs a;
  a.connections = true;
  auto empty = list_view(a, fake);
  CHECK(empty.exit_code == kExitOk);
  CHECK(empty.out ==
        "IPVS connection entries\npro expire state       source             virtual            destination\n");

  fake.set_connections(parse_connection_table(std::string(kProc) + "TCP C0000264 A0C2\n"));
  auto some = list_view(a, fake);
  CHECK(some.exit_code == kExitError);
  CHECK(some.out.find("192.0.2.100:41154") != std::string::npos);  // the good lines are shown
  CHECK(some.err.find("line 6 not understood") != std::string::npos);

  a.json = true;
  auto json = list_view(a, fake);
  CHECK(nlohmann::json::parse(json.out)["connections"].size() == 4);

  fake.fail_next_read(EACCES);
  auto failed = list_view(a, fake);
  CHECK(failed.exit_code == kExitError);
  CHECK(failed.out.empty());
  CHECK(failed.err.find("cannot read the IPVS connection table") != std::string::npos);
}

TEST_CASE("timeouts: ipvsadm's line, JSON, and --set with the kernel's 0-leaves-unchanged rule") {
  FakeIpvs fake;
  TimeoutsArgs a;
  auto shown = timeouts_view(a, fake);
  CHECK(shown.exit_code == kExitOk);
  CHECK(shown.out == "Timeout (tcp tcpfin udp): 900 120 300\n");
  a.set = Timeouts{1000, 0, 200};
  auto set = timeouts_view(a, fake);
  CHECK(set.exit_code == kExitOk);
  CHECK(set.out.empty());
  a.set.reset();
  a.json = true;
  auto json = nlohmann::json::parse(timeouts_view(a, fake).out);
  CHECK(json == nlohmann::json{{"tcp_s", 1000}, {"tcp_fin_s", 120}, {"udp_s", 200}});
  a.set = Timeouts{4000000000u, 0, 0};
  auto refused = timeouts_view(a, fake);
  CHECK(refused.exit_code == kExitError);
  CHECK(refused.err.find("errno 22") != std::string::npos);
  CHECK(fake.timeouts()->tcp_s == 1000);
}

TEST_CASE("zero: one service's counters or all; connection counts stay; a missing service is ESRCH") {
  FakeIpvs fake;
  views_fake(fake);
  Service other;
  other.key = tcp_key("192.0.2.10", 7000);
  REQUIRE(fake.add_service(other).ok());
  REQUIRE(fake.set_counters(other.key, Stats{7, 1, 1, 1, 1}).ok());

  auto one = zero_counters(tcp_key("192.0.2.10", 7001), fake);
  CHECK(one.exit_code == kExitOk);
  CHECK(one.out.empty());
  auto t = fake.read_table().value();
  for (const auto& s : t.services) {
    if (s.service.key.port == 7001) {
      CHECK(s.stats == Stats{});
      CHECK(s.destinations.at(0).stats == Stats{});
      CHECK(s.destinations.at(0).active_conns == 3);
    } else {
      CHECK(s.stats.conns == 7);
    }
  }
  CHECK(zero_counters(std::nullopt, fake).exit_code == kExitOk);
  const Table zeroed = fake.read_table().value();
  for (const auto& s : zeroed.services) CHECK(s.stats == Stats{});

  auto missing = zero_counters(tcp_key("192.0.2.10", 7999), fake);
  CHECK(missing.exit_code == kExitError);
  CHECK(missing.err.find("192.0.2.10:7999") != std::string::npos);
}

TEST_CASE("zero SERVICE: the accepted spellings of a service, and a clear error otherwise") {
  CHECK(parse_service_arg("tcp:192.0.2.10:25").value() == tcp_key("192.0.2.10", 25));
  CHECK(parse_service_arg("tcp 192.0.2.10:25").value() == tcp_key("192.0.2.10", 25));
  auto udp6 = parse_service_arg("udp:[2001:db8::10]:53").value();
  CHECK(udp6.protocol == Protocol::udp);
  CHECK(udp6.family == Family::inet6);
  CHECK(udp6.address == ip("2001:db8::10"));
  CHECK(udp6.port == 53);
  CHECK(parse_service_arg("sctp:192.0.2.13:3868")->protocol == Protocol::sctp);
  CHECK(parse_service_arg("tcp:192.0.2.10:0")->port == 0);  // a persistent service may have port 0
  auto fw = parse_service_arg("fwmark:7").value();
  CHECK(fw.fwmark == 7);
  CHECK(fw.family == Family::inet);
  CHECK(parse_service_arg("fwmark:8:inet6")->family == Family::inet6);
  CHECK(parse_service_arg("fwmark 8 (inet6)")->family == Family::inet6);  // as ServiceKey::to_string prints
  for (const char* bad : {"", "tcp", "192.0.2.10:25", "tcp:192.0.2.10", "tcp:192.0.2.10:65536", "tcp:2001:db8::1:25",
                          "tcp:[192.0.2.10]:25", "icmp:192.0.2.10:25", "fwmark:0", "fwmark:x", "fwmark:7:inet5",
                          "tcp:192.0.2.10:25x"}) {
    INFO(bad);
    auto r = parse_service_arg(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == EINVAL);
    CHECK(r.error().message.find("fwmark:MARK") != std::string::npos);
  }
}
