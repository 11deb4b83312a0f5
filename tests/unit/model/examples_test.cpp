#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

#include "model/loader.h"
#include "model/model_to_json.h"
#include "test_support.h"

using namespace lvs::model;
using lvs::model::test::dump;

namespace {

const VirtualService& find_vs(const Cluster& c, const std::string& name) {
  auto it = std::find_if(c.virtual_services.begin(), c.virtual_services.end(),
                         [&](const VirtualService& v) { return v.name == name; });
  if (it == c.virtual_services.end()) FAIL("no virtual service " << name);
  return *it;
}

Cluster load_example(const std::string& file) {
  auto r = load_cluster_file(test::examples_dir() + "/" + file);
  INFO(dump(r.diagnostics));
  REQUIRE(r.ok());
  return *r.cluster;
}

}  // namespace

TEST_CASE("examples: every descriptor in schemas/examples validates without errors") {
  auto files = test::json_files_in(test::examples_dir());
  REQUIRE(files.size() >= 4);
  for (const auto& f : files) {
    DYNAMIC_SECTION(std::filesystem::path(f).filename().string()) {
      auto r = load_cluster_file(f);
      INFO(dump(r.diagnostics));
      CHECK(r.ok());
      CHECK_FALSE(has_errors(r.diagnostics));
    }
  }
}

TEST_CASE("examples: parse -> serialise -> parse gives an equal model") {
  for (const auto& f : test::json_files_in(test::examples_dir())) {
    DYNAMIC_SECTION(std::filesystem::path(f).filename().string()) {
      auto first = load_cluster_file(f);
      REQUIRE(first.ok());
      std::string text = to_json(*first.cluster).dump(2);
      auto second = load_cluster_text(text, "serialised.json");
      INFO(dump(second.diagnostics) << text);
      REQUIRE(second.ok());
      CHECK(*second.cluster == *first.cluster);
      // And the serialised form is stable.
      CHECK(to_json(*second.cluster).dump(2) == text);
    }
  }
}

TEST_CASE("reference deployment: two VIPs, 25/110/995 rr and 143/993 fo over two pools of two, NAT") {
  Cluster c = load_example("mail-cluster.json");
  REQUIRE(c.virtual_services.size() == 10);
  for (const char* vip : {"research", "education"}) {
    for (int port : {25, 110, 995}) {
      const auto& v = find_vs(c, std::string(vip) + "-mail/" + std::to_string(port));
      CHECK(v.scheduler == "rr");
      CHECK(v.port == port);
    }
    for (int port : {143, 993}) {
      const auto& v = find_vs(c, std::string(vip) + "-imap/" + std::to_string(port));
      CHECK(v.scheduler == "fo");
      REQUIRE(v.reals.size() == 2);
      CHECK(v.reals[0].weight != v.reals[1].weight);  // a defined failover order
    }
  }
  for (const auto& v : c.virtual_services) {
    CHECK(v.protocol == Protocol::tcp);
    CHECK(v.forwarding.method == ForwardMethod::masq);
    REQUIRE(v.reals.size() == 2);
    for (const auto& r : v.reals) CHECK(r.port == v.port);  // real port defaults to the service's
  }
  // One pool serves both: same addresses, each service's own port.
  CHECK(find_vs(c, "research-mail/25").reals[0].address == find_vs(c, "research-imap/993").reals[0].address);
  CHECK(find_vs(c, "research-imap/993").reals[0].port == 993);
  CHECK(find_vs(c, "research-mail/25").pool == "research");
  CHECK(find_vs(c, "research-imap/993").pool == "research");
  CHECK(find_vs(c, "education-mail/110").address != find_vs(c, "research-mail/110").address);
  REQUIRE(c.ha);
  CHECK(c.ha->vips.size() == 3);  // two public VIPs and the private gateway of the reals
  REQUIRE(c.ha->sync);
  CHECK(c.nodes.size() == 2);
  CHECK(c.nodes[0].priority != c.nodes[1].priority);
}

TEST_CASE("reference deployment: health checks default by port") {
  Cluster c = load_example("mail-cluster.json");
  CHECK(find_vs(c, "research-mail/25").check.type == CheckType::smtp);
  CHECK(find_vs(c, "research-mail/110").check.type == CheckType::pop3);
  CHECK(find_vs(c, "research-mail/110").check.tls == TlsMode::none);
  CHECK(find_vs(c, "research-mail/995").check.type == CheckType::pop3);
  CHECK(find_vs(c, "research-mail/995").check.tls == TlsMode::implicit);
  CHECK(find_vs(c, "research-imap/143").check.type == CheckType::imap);
  CHECK(find_vs(c, "research-imap/993").check.tls == TlsMode::implicit);
}

TEST_CASE("imap-balanced example: POP3 and IMAP of a VIP are one marked rr service with persistence of at least 900 s") {
  Cluster c = load_example("mail-cluster-imap-balanced.json");
  for (const char* name : {"research-mailbox", "education-mailbox"}) {
    const auto& v = find_vs(c, name);
    CHECK(v.is_marked());
    CHECK(v.mark_ports == std::vector<std::uint16_t>{143, 993, 110, 995});
    CHECK(v.scheduler == "rr");
    CHECK(v.persistence_s >= 900);
    CHECK(v.check.type == CheckType::imap);  // the first port's check
    for (const auto& r : v.reals) CHECK(r.port == 0);
  }
  CHECK(find_vs(c, "research-mailbox").fwmark != find_vs(c, "education-mailbox").fwmark);
  CHECK(find_vs(c, "research-smtp").port == 25);
  CHECK(find_vs(c, "research-smtp").persistence_s == 0);
}

TEST_CASE("ipv6 example: services, reals and VIPs are IPv6") {
  Cluster c = load_example("mail-cluster-ipv6.json");
  REQUIRE_FALSE(c.virtual_services.empty());
  for (const auto& v : c.virtual_services) {
    CHECK(v.family == Family::inet6);
    for (const auto& r : v.reals) CHECK(r.address.is_v6());
  }
  CHECK(find_vs(c, "research-imap/143").persistence_prefix == 64);
  CHECK(find_vs(c, "research-mail/25").persistence_prefix == 128);
}

TEST_CASE("variations example: fwmark, droute, gue tunnel, scheduler flags and a sorry pool resolve") {
  Cluster c = load_example("variations.json");
  const auto& dr = find_vs(c, "web-dr");
  CHECK(dr.forwarding.method == ForwardMethod::droute);
  CHECK(dr.scheduler_flag_bits() == 0x3);
  CHECK(dr.on_failure == OnFailure::remove);
  REQUIRE(dr.sorry_reals.size() == 1);
  CHECK(dr.sorry_reals[0].port == 8080);  // written port wins over the service's
  const auto& tun = find_vs(c, "web-tunnel");
  CHECK(tun.forwarding.tunnel_type == TunnelType::gue);
  CHECK(tun.forwarding.tunnel_port == 6080);
  CHECK(tun.check.type == CheckType::tcp);  // the pool's check type wins over the port's default
  CHECK(tun.check.tls == TlsMode::implicit);
  CHECK(tun.check.interval_ms == 1000);     // from the pool's check
  const auto& mark = find_vs(c, "marked");
  CHECK(mark.is_fwmark());
  CHECK(mark.fwmark == 42);
  CHECK(mark.check.port == 80);
  CHECK(mark.persistence_prefix == 24);
  // lvsd marks 192.0.2.32 tcp {143, 993} with 43: one fwmark service, reals without a port,
  // the first port's imap check.
  const auto& imap = find_vs(c, "imap-marked");
  CHECK(imap.is_marked());
  CHECK(imap.fwmark == 43);
  CHECK(imap.address == *IpAddress::parse("192.0.2.32"));
  CHECK(imap.mark_ports == std::vector<std::uint16_t>{143, 993});
  CHECK(imap.reals.at(0).port == 0);
  CHECK(imap.check.type == CheckType::imap);
  CHECK(imap.check.port == 143);
  CHECK(find_vs(c, "dns").protocol == Protocol::udp);
  CHECK(find_vs(c, "dns").one_packet);
  REQUIRE(c.ha->sync);
  CHECK(c.ha->sync->send == SyncSend::batched);
}

TEST_CASE("ha.sync.send: each when not written, and written back explicitly") {
  Cluster c = load_example("mail-cluster.json");
  REQUIRE(c.ha->sync);
  CHECK(c.ha->sync->send == SyncSend::each);
  CHECK(to_json(c)["ha"]["sync"]["send"] == "each");
  c.ha->sync->send = SyncSend::batched;
  CHECK(to_json(c)["ha"]["sync"]["send"] == "batched");
}
