// Marked fwmark services: fwmark + address + port/ports, where lvsd sets the mark.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "model/loader.h"
#include "model/model_to_json.h"
#include "model/summary.h"
#include "test_support.h"

using namespace lvs::model;

namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

// One service, `service` spliced into it; pool p has two reals without ports.
std::string descriptor(const std::string& service, const std::string& more = "", const std::string& pool = "p") {
  return R"({
  "cluster": "t",
  "nodes": [{"name": "lb1", "address": "198.51.100.11", "priority": 150},
            {"name": "lb2", "address": "198.51.100.12", "priority": 100}],
  "ha": {"virtual_router_id": 9, "interface": "eth2",
         "vips": [{"address": "192.0.2.10/24", "interface": "eth0"}]},
  "pools": {"p": {"reals": [{"address": "203.0.113.1"}, {"address": "203.0.113.2"}]},
            "p6": {"reals": [{"address": "2001:db8:1::1"}]}},
  "services": [
    {"name": "imap", "scheduler": "rr", "pool": ")" +
         pool + R"(", )" + service + "}" + more + R"(
  ]
})";
}

LoadResult load(const std::string& text) { return load_cluster_text(text, "m.json"); }

}  // namespace

TEST_CASE("marked service: fwmark with address and ports is one fwmark service over all the ports") {
  auto r = load(descriptor(R"("address": "192.0.2.10", "ports": [143, 993], "fwmark": 10, "persistence_s": 1800)"));
  INFO(test::dump(r.diagnostics));
  REQUIRE(r.ok());
  for (const auto& d : r.diagnostics) CHECK(d.pointer.rfind("/services", 0) != 0);  // its VIP is in ha.vips
  const Cluster& c = *r.cluster;
  REQUIRE(c.virtual_services.size() == 1);
  const VirtualService& v = c.virtual_services[0];
  CHECK(v.name == "imap");  // one service: no "/port" suffix
  CHECK(v.is_fwmark());
  CHECK(v.is_marked());
  CHECK(v.has_address());
  CHECK(v.fwmark == 10);
  CHECK(v.family == Family::inet);
  CHECK(v.address == ip("192.0.2.10"));
  CHECK(v.protocol == Protocol::tcp);
  CHECK(v.mark_ports == std::vector<std::uint16_t>{143, 993});
  CHECK(v.persistence_s == 1800);
  REQUIRE(v.reals.size() == 2);
  CHECK(v.reals[0].port == 0);  // IPVS keeps the client's destination port
  CHECK(v.reals[1].port == 0);
  // The check is the first port's: imap, plain, on 143.
  CHECK(v.check.type == CheckType::imap);
  CHECK(v.check.tls == TlsMode::none);
  CHECK(v.check.port == 143);
}

TEST_CASE("marked service: the check follows the first port, check.port and check.type override it") {
  auto tls = load(descriptor(R"("address": "192.0.2.10", "ports": [993, 143], "fwmark": 10)"));
  REQUIRE(tls.ok());
  CHECK(tls.cluster->virtual_services[0].check.type == CheckType::imap);
  CHECK(tls.cluster->virtual_services[0].check.tls == TlsMode::implicit);
  CHECK(tls.cluster->virtual_services[0].check.port == 993);

  auto own = load(descriptor(R"("address": "192.0.2.10", "ports": [143, 993], "fwmark": 10,
                                 "check": {"port": 993, "tls": "implicit"})"));
  REQUIRE(own.ok());
  CHECK(own.cluster->virtual_services[0].check.port == 993);
  CHECK(own.cluster->virtual_services[0].check.type == CheckType::imap);
  CHECK(own.cluster->virtual_services[0].check.tls == TlsMode::implicit);
}

TEST_CASE("marked service: one port, IPv6 and udp keep their address, protocol and family") {
  auto r = load(descriptor(R"("address": "2001:db8::10", "protocol": "udp", "port": 53, "fwmark": 11)", "", "p6"));
  INFO(test::dump(r.diagnostics));
  REQUIRE(r.ok());
  const VirtualService& v = r.cluster->virtual_services[0];
  CHECK(v.is_marked());
  CHECK(v.family == Family::inet6);
  CHECK(v.protocol == Protocol::udp);
  CHECK(v.mark_ports == std::vector<std::uint16_t>{53});
  CHECK(v.persistence_prefix == 128);
  CHECK(v.check.type == CheckType::tcp);
  CHECK(v.check.port == 53);
}

TEST_CASE("marked service: fwmark alone stays a service the operator marks") {
  auto r = load(descriptor(R"("fwmark": 7, "check": {"port": 25})"));
  INFO(test::dump(r.diagnostics));
  REQUIRE(r.ok());
  const VirtualService& v = r.cluster->virtual_services[0];
  CHECK(v.is_fwmark());
  CHECK_FALSE(v.is_marked());
  CHECK_FALSE(v.has_address());
  CHECK(v.mark_ports.empty());
  CHECK(v.check.port == 25);
}

TEST_CASE("marked service: written back to JSON with address, protocol, ports and fwmark, and read again the same") {
  auto r = load(descriptor(R"("address": "192.0.2.10", "protocol": "tcp", "ports": [143, 993], "fwmark": 10,
                               "persistence_s": 1800)"));
  REQUIRE(r.ok());
  auto j = to_json(*r.cluster);
  const auto& s = j["services"][0];
  CHECK(s["address"] == "192.0.2.10");
  CHECK(s["protocol"] == "tcp");
  CHECK(s["ports"] == nlohmann::json::array({143, 993}));
  CHECK(s["fwmark"] == 10);
  CHECK_FALSE(s.contains("family"));
  auto again = load(j.dump(2));
  INFO(test::dump(again.diagnostics));
  REQUIRE(again.ok());
  CHECK(again.cluster->services == r.cluster->services);
  CHECK(again.cluster->virtual_services == r.cluster->virtual_services);
  CHECK(to_json(*again.cluster).dump(2) == j.dump(2));
}

TEST_CASE("marked service: the summary lists its address as a VIP, not the mark") {
  auto r = load(descriptor(R"("address": "192.0.2.10", "ports": [143, 993], "fwmark": 10)"));
  REQUIRE(r.ok());
  Summary s = summarize(*r.cluster);
  CHECK(s.vips == std::vector<std::string>{"192.0.2.10"});
  CHECK(s.services == 1);
  CHECK(s.marks == std::vector<std::string>{"fwmark 10: tcp 192.0.2.10 ports 143, 993"});
  CHECK(to_text(s).find("\n  marks:     fwmark 10: tcp 192.0.2.10 ports 143, 993\n") != std::string::npos);
  CHECK(to_json(s)["marks"][0] == "fwmark 10: tcp 192.0.2.10 ports 143, 993");
  // Without marked services the summary reads as before: no marks line.
  auto plain = load(descriptor(R"("address": "192.0.2.10", "port": 143)"));
  REQUIRE(plain.ok());
  CHECK(to_text(summarize(*plain.cluster)).find("marks") == std::string::npos);
  CHECK_FALSE(to_json(summarize(*plain.cluster)).contains("marks"));
}

TEST_CASE("marked service: a marked port may not also be another service's, a plain port next to it may") {
  auto ok = load(descriptor(R"("address": "192.0.2.10", "ports": [143, 993], "fwmark": 10)",
                            R"(,
    {"name": "pop", "address": "192.0.2.10", "ports": [110, 995], "scheduler": "rr", "pool": "p"},
    {"name": "imap-udp", "address": "192.0.2.10", "protocol": "udp", "port": 143, "scheduler": "rr", "pool": "p"})"));
  INFO(test::dump(ok.diagnostics));
  CHECK(ok.ok());

  auto clash = load(descriptor(R"("address": "192.0.2.10", "ports": [143, 993], "fwmark": 10)",
                               R"(,
    {"name": "imaps", "address": "192.0.2.10", "port": 993, "scheduler": "rr", "pool": "p"})"));
  REQUIRE_FALSE(clash.ok());
  bool found = false;
  for (const auto& d : clash.diagnostics)
    if (d.pointer == "/services/1/port" &&
        d.message == "tcp 192.0.2.10:993 is taken by service imaps (/services/1/port) and by marked service imap "
                     "(fwmark 10, /services/0/ports/1): a packet can go to one service only")
      found = true;
  INFO(test::dump(clash.diagnostics));
  CHECK(found);
}
