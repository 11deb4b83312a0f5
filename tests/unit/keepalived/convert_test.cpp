// keepalived.conf -> descriptor, option by option: what is carried lands in the JSON,
// what is not is a warning on its line, and nothing is dropped without one.
#include <catch2/catch.hpp>

#include <algorithm>

#include "desired/desired_state.h"
#include "fake_files.h"
#include "model/loader.h"
#include "support/temp_dir.h"

using namespace lvs::keepalived;
using lvs::keepalived::test::dump;
using lvs::keepalived::test::import_text;
using lvs::keepalived::test::warned;
using Json = nlohmann::ordered_json;

namespace {

// Converted, nothing unaccounted, and the descriptor loads without errors.
ImportResult convert_ok(const std::string& text, const ImportOptions& options = {}) {
  ImportResult r = import_text(text, options);
  INFO(dump(r));
  REQUIRE(r.ok());
  CHECK(r.unaccounted.empty());
  lvs::model::LoadResult load = lvs::model::load_cluster_text(r.descriptor.dump(), "converted");
  std::string diags;
  for (const auto& d : load.diagnostics) diags += d.to_string() + "\n";
  INFO(r.descriptor.dump(2));
  INFO(diags);
  CHECK(load.ok());
  return r;
}

const char* kMailVs =
    "virtual_server 192.0.2.10 25 {\n"        // 1
    "  delay_loop 5\n"                         // 2
    "  lb_algo rr\n"                           // 3
    "  lb_kind NAT\n"                          // 4
    "  protocol TCP\n"                         // 5
    "  real_server 203.0.113.11 25 {\n"        // 6
    "    weight 100\n"                         // 7
    "    SMTP_CHECK {\n"                       // 8
    "      connect_timeout 3\n"                // 9
    "      retry 2\n"                          // 10
    "      helo_name lb.example.org\n"         // 11
    "    }\n"                                  // 12
    "  }\n"                                    // 13
    "  real_server 203.0.113.12 25 {\n"        // 14
    "    weight 50\n"                          // 15
    "    SMTP_CHECK {\n"                       // 16
    "      connect_timeout 3\n"                // 17
    "      retry 2\n"                          // 18
    "      helo_name lb.example.org\n"         // 19
    "    }\n"                                  // 20
    "  }\n"                                    // 21
    "}\n";

}  // namespace

TEST_CASE("convert: a virtual server with SMTP_CHECK reals becomes one service with an smtp check") {
  ImportResult r = convert_ok(kMailVs);
  const Json& s = r.descriptor["services"][0];
  CHECK(s["name"] == "tcp-192.0.2.10-25");
  CHECK(s["address"] == "192.0.2.10");
  CHECK(s["protocol"] == "tcp");
  CHECK(s["port"] == 25);
  CHECK(s["scheduler"] == "rr");
  CHECK(s["forwarding"] == Json{{"method", "masq"}});
  CHECK(s["reals"] == Json::parse(R"([{"address":"203.0.113.11","weight":100},{"address":"203.0.113.12","weight":50}])"));
  CHECK(s["on_failure"] == "remove");  // keepalived's default removes a failed real
  CHECK(s["check"] == Json::parse(R"({"type":"smtp","ehlo_name":"lb.example.org","interval_ms":5000,
      "timeout_ms":3000,"rise":1,"fall":3,"initially_up":true})"));
  CHECK(!r.descriptor.contains("ha"));
  REQUIRE(r.descriptor["nodes"].size() == 1);
}

TEST_CASE("convert: keepalived's defaults are written out (wlc, NAT, TCP, weight 1, 60 s loop, 5 s timeout, retry 1)") {
  ImportResult r = convert_ok("virtual_server 192.0.2.10 80 {\n  real_server 203.0.113.11 80 {\n    TCP_CHECK {\n    }\n  }\n}\n");
  const Json& s = r.descriptor["services"][0];
  CHECK(s["scheduler"] == "wlc");
  CHECK(s["protocol"] == "tcp");
  CHECK(s["forwarding"]["method"] == "masq");
  CHECK(s["reals"][0]["weight"] == 1);
  CHECK(s["check"]["type"] == "tcp");
  CHECK(s["check"]["interval_ms"] == 60000);
  CHECK(s["check"]["timeout_ms"] == 5000);
  CHECK(s["check"]["fall"] == 2);
  // No check at all: keepalived keeps the real up.
  ImportResult none = convert_ok("virtual_server 192.0.2.10 80 {\n  real_server 203.0.113.11 80\n}\n");
  CHECK(none.descriptor["services"][0]["check"] == Json{{"type", "none"}});
}

TEST_CASE("convert: virtual-server level timing, connect_port, bindto and alpha reach the check") {
  ImportResult r = convert_ok(
      "virtual_server 192.0.2.10 8080 {\n"
      "  delay_loop 2.5\n"
      "  connect_timeout 1\n"
      "  retry 4\n"
      "  alpha\n"
      "  real_server 203.0.113.11 8080 {\n"
      "    TCP_CHECK {\n"
      "      connect_port 80\n"
      "      bindto 198.51.100.1\n"
      "    }\n"
      "  }\n"
      "}\n");
  CHECK(r.warnings.size() == 1);  // this node's placeholder address only
  CHECK(r.descriptor["services"][0]["check"] ==
        Json::parse(R"({"type":"tcp","port":80,"source_address":"198.51.100.1","interval_ms":2500,
            "timeout_ms":1000,"rise":1,"fall":5,"initially_up":false})"));
}

TEST_CASE("convert: scheduler flags, persistence, one-packet and forwarding methods") {
  ImportResult r = convert_ok(
      "virtual_server 192.0.2.10 5060 {\n"
      "  lvs_sched sh\n"
      "  sh-port\n"
      "  ops\n"
      "  protocol UDP\n"
      "  persistence_timeout\n"
      "  persistence_granularity 255.255.255.0\n"
      "  persistence_engine sip\n"
      "  lvs_method TUN type gue port 6080 csum\n"
      "  real_server 203.0.113.11 5060\n"
      "}\n"
      "virtual_server 192.0.2.11 80 {\n"
      "  lb_kind DR\n"
      "  real_server 192.0.2.21 80\n"
      "}\n");
  const Json& s = r.descriptor["services"][0];
  CHECK(s["protocol"] == "udp");
  CHECK(s["scheduler"] == "sh");
  CHECK(s["scheduler_flags"] == Json::array({"sh-port"}));
  CHECK(s["one_packet"] == true);
  CHECK(s["persistence_s"] == 360);  // keepalived's default when no value is given
  CHECK(s["persistence_netmask"] == 24);
  CHECK(s["persistence_engine"] == "sip");
  CHECK(s["forwarding"] == Json::parse(R"({"method":"tunnel","tunnel_type":"gue","tunnel_port":6080,"tunnel_checksum":"csum"})"));
  CHECK(r.descriptor["services"][1]["forwarding"]["method"] == "droute");
}

TEST_CASE("convert: inhibit_on_failure quiesces instead of removing, at either level") {
  ImportResult real = convert_ok(
      "virtual_server 192.0.2.10 80 {\n  real_server 203.0.113.11 80 {\n    inhibit_on_failure\n  }\n}\n");
  CHECK(real.descriptor["services"][0]["on_failure"] == "quiesce");
  ImportResult vs = convert_ok(
      "virtual_server 192.0.2.10 80 {\n  inhibit_on_failure\n  real_server 203.0.113.11 80\n"
      "  real_server 203.0.113.12 80 {\n    inhibit_on_failure off\n  }\n}\n");
  CHECK(vs.descriptor["services"][0]["on_failure"] == "remove");  // 1 of 2: not a majority
  CHECK(warned(vs, 1, "1 of 2 reals have inhibit_on_failure"));
}

TEST_CASE("convert: sorry_server becomes a pool, quorum a count of reals") {
  ImportResult r = convert_ok(
      "virtual_server 192.0.2.10 25 {\n"
      "  quorum 4\n"
      "  sorry_server 203.0.113.99 2525\n"
      "  real_server 203.0.113.11 25 {\n    weight 2\n  }\n"
      "  real_server 203.0.113.12 25 {\n    weight 2\n  }\n"
      "  real_server 203.0.113.13 25 {\n    weight 2\n  }\n"
      "}\n");
  const Json& s = r.descriptor["services"][0];
  CHECK(s["quorum"] == 2);  // a weight sum of 4 is two reals of weight 2
  CHECK(s["sorry_server"] == "sorry-203.0.113.99-2525");
  CHECK(r.descriptor["pools"]["sorry-203.0.113.99-2525"] ==
        Json::parse(R"({"reals":[{"address":"203.0.113.99","port":2525}]})"));

  ImportResult unequal = convert_ok(
      "virtual_server 192.0.2.10 25 {\n"
      "  quorum 150\n"
      "  real_server 203.0.113.11 25 {\n    weight 100\n  }\n"
      "  real_server 203.0.113.12 25 {\n    weight 50\n  }\n"
      "  real_server 203.0.113.13 25 {\n    weight 60\n  }\n"
      "}\n");
  CHECK(unequal.descriptor["services"][0]["quorum"] == 3);  // 50 + 60 < 150: all three
  CHECK(warned(unequal, 2, "sum of weights"));
}

TEST_CASE("convert: virtual_server_group expands to one service per entry sharing a pool") {
  ImportResult r = convert_ok(
      "virtual_server_group MAIL {\n"
      "  192.0.2.10 25\n"
      "  192.0.2.20-22 110\n"
      "  fwmark 7\n"
      "}\n"
      "virtual_server group MAIL {\n"
      "  lb_algo rr\n"
      "  real_server 203.0.113.11 25\n"
      "}\n");
  const Json& svcs = r.descriptor["services"];
  REQUIRE(svcs.size() == 5);
  CHECK(svcs[0]["name"] == "MAIL-tcp-192.0.2.10-25");
  CHECK(svcs[1]["address"] == "192.0.2.20");
  CHECK(svcs[3]["address"] == "192.0.2.22");
  CHECK(svcs[3]["port"] == 110);
  CHECK(svcs[4]["fwmark"] == 7);
  for (const Json& s : svcs) CHECK(s["pool"] == "MAIL");
  // The group's services differ in port, so the real keeps the port it was written with.
  CHECK(r.descriptor["pools"]["MAIL"]["reals"][0] == Json::parse(R"({"address":"203.0.113.11","port":25,"weight":1})"));
  CHECK(svcs[1].dump().find("\"reals\"") == std::string::npos);
}

TEST_CASE("convert: a virtual_server of an empty group is a warning on its line, not a service") {
  // Found by keepalived_fuzz: the converter read the first entry of an empty group.
  ImportResult r = import_text(
      "virtual_server_group EMPTY {\n"
      "}\n"
      "virtual_server group EMPTY {\n"
      "  lb_algo rr\n"
      "  real_server 203.0.113.11 25\n"
      "}\n"
      "virtual_server 192.0.2.10 25 {\n"
      "  real_server 203.0.113.11 25\n"
      "}\n");
  INFO(dump(r));
  REQUIRE(r.ok());
  CHECK(warned(r, 3, "EMPTY has no addresses or fwmarks"));
  REQUIRE(r.descriptor["services"].size() == 1);
  CHECK(r.descriptor["services"][0]["address"] == "192.0.2.10");
}

TEST_CASE("convert: a fwmark service takes its family from ip_family or its reals") {
  ImportResult r = convert_ok(
      "virtual_server fwmark 1 {\n  real_server 2001:db8::11 {\n    TCP_CHECK {\n      connect_port 80\n    }\n  }\n}\n"
      "virtual_server fwmark 2 {\n  ip_family inet6\n  real_server 2001:db8::12 80\n}\n"
      "virtual_server fwmark 3 {\n  real_server 203.0.113.12 80\n}\n");
  const Json& s = r.descriptor["services"];
  CHECK(s[0]["family"] == "inet6");
  CHECK(s[0]["check"]["port"] == 80);
  CHECK(s[1]["family"] == "inet6");
  CHECK(!s[2].contains("family"));
  CHECK(s[2]["reals"][0]["port"] == 80);
}

TEST_CASE("convert: checks keepalived has and the descriptor has not are named, with what replaced them") {
  ImportResult r = convert_ok(
      "virtual_server 192.0.2.10 80 {\n"                                    // 1
      "  real_server 203.0.113.11 80 {\n"                                   // 2
      "    HTTP_GET {\n      url {\n        path /\n      }\n      connect_timeout 2\n    }\n"  // 3-8
      "  }\n"                                                               // 9
      "}\n"                                                                 // 10
      "virtual_server 192.0.2.10 81 {\n"                                    // 11
      "  real_server 203.0.113.11 81 {\n"                                   // 12
      "    MISC_CHECK {\n      misc_path /usr/local/bin/check.sh\n    }\n"   // 13-15
      "  }\n"                                                               // 16
      "}\n");
  CHECK(warned(r, 3, "'HTTP_GET' is not carried"));
  CHECK(r.descriptor["services"][0]["check"]["type"] == "tcp");
  CHECK(r.descriptor["services"][0]["check"]["timeout_ms"] == 2000);
  CHECK(warned(r, 13, "'MISC_CHECK' is not carried: lvsd runs no check scripts"));
  CHECK(r.descriptor["services"][1]["check"] == Json{{"type", "none"}});
}

TEST_CASE("convert: each virtual-server and real-server option the descriptor cannot hold is a warning on its line") {
  ImportResult r = convert_ok(
      "virtual_server 192.0.2.10 80 {\n"       // 1
      "  hysteresis 2\n"                       // 2
      "  quorum_up /bin/up.sh\n"               // 3
      "  quorum_down /bin/down.sh\n"           // 4
      "  omega\n"                              // 5
      "  virtualhost www.example.org\n"        // 6
      "  ha_suspend\n"                         // 7
      "  real_server 203.0.113.11 80 {\n"      // 8
      "    notify_up /bin/up.sh\n"             // 9
      "    notify_down /bin/down.sh\n"         // 10
      "    TCP_CHECK {\n"                      // 11
      "      delay_before_retry 3\n"           // 12
      "      warmup 5\n"                       // 13
      "      bind_port 1000\n"                 // 14
      "    }\n"                                // 15
      "    SMTP_CHECK {\n    }\n"              // 16-17
      "  }\n"                                  // 18
      "}\n");
  for (auto [line, keyword] : std::vector<std::pair<int, std::string>>{
           {2, "hysteresis"}, {3, "quorum_up"}, {4, "quorum_down"}, {5, "omega"}, {6, "virtualhost"}, {7, "ha_suspend"},
           {9, "notify_up"}, {10, "notify_down"}, {12, "delay_before_retry"}, {13, "warmup"}, {14, "bind_port"},
           {16, "SMTP_CHECK"}}) {
    INFO(keyword);
    CHECK(warned(r, line, "'" + keyword + "' is not carried"));
  }
}

TEST_CASE("convert: reals whose checks differ are named; the first real's check is the service's") {
  ImportResult r = convert_ok(
      "virtual_server 192.0.2.10 25 {\n"
      "  real_server 203.0.113.11 25 {\n    TCP_CHECK {\n      connect_timeout 3\n    }\n  }\n"
      "  real_server 203.0.113.12 25 {\n    TCP_CHECK {\n      connect_timeout 4\n    }\n  }\n"
      "}\n");
  CHECK(r.descriptor["services"][0]["check"]["timeout_ms"] == 3000);
  CHECK(warned(r, 7, "differs from the first real's (timeout_ms 4000)"));
}

TEST_CASE("convert: vrrp_instance becomes ha and two nodes; unicast peers are nodes") {
  ImportResult r = convert_ok(
      "global_defs {\n"                              // 1
      "  router_id lb1\n"                            // 2
      "  vrrp_version 3\n"                           // 3
      "  lvs_sync_daemon eth1 VI_1 id 7\n"           // 4
      "}\n"                                          // 5
      "vrrp_instance VI_1 {\n"                       // 6
      "  interface eth2\n"                           // 7
      "  virtual_router_id 51\n"                     // 8
      "  priority 150\n"                             // 9
      "  advert_int 0.5\n"                           // 10
      "  nopreempt\n"                                // 11
      "  preempt_delay 30\n"                         // 12
      "  garp_master_refresh 30\n"                   // 13
      "  unicast_src_ip 198.51.100.11\n"             // 14
      "  unicast_peer {\n    198.51.100.12\n  }\n"   // 15-17
      "  virtual_ipaddress {\n"                      // 18
      "    192.0.2.10/24 dev eth0\n"                 // 19
      "    203.0.113.1/24 dev eth1\n"                // 20
      "    192.0.2.30\n"                             // 21
      "  }\n"                                        // 22
      "}\n",
      [] {
        ImportOptions o;
        o.peer_priority = 100;
        return o;
      }());
  CHECK(r.warnings.empty());
  CHECK(r.descriptor["cluster"] == "lb1");
  CHECK(r.descriptor["nodes"] == Json::parse(R"([{"name":"lb1","address":"198.51.100.11","priority":150},
      {"name":"lb2","address":"198.51.100.12","priority":100}])"));
  CHECK(r.descriptor["ha"] == Json::parse(R"({"virtual_router_id":51,"interface":"eth2","advert_interval_ms":500,
      "preempt":false,"preempt_delay_s":30,"peers":"unicast","garp_refresh_s":30,
      "vips":[{"address":"192.0.2.10/24","interface":"eth0"},{"address":"203.0.113.1/24","interface":"eth1"},
              {"address":"192.0.2.30/32","interface":"eth2"}],
      "sync":{"interface":"eth1","sync_id":7}})"));
}

TEST_CASE("convert: what the node cannot know is invented and said: addresses, peer priority, 255") {
  ImportResult r = convert_ok(
      "vrrp_instance VI_1 {\n"
      "  state MASTER\n"
      "  interface eth0\n"
      "  virtual_router_id 9\n"
      "  virtual_ipaddress {\n    192.0.2.10\n  }\n"
      "}\n");
  CHECK(r.descriptor["ha"]["peers"] == "multicast");
  CHECK(r.descriptor["nodes"][0]["priority"] == 254);  // state MASTER without priority is 255 in keepalived
  CHECK(r.descriptor["nodes"][0]["address"] == "192.0.2.1");
  CHECK(r.descriptor["nodes"][1]["address"] == "192.0.2.2");
  CHECK(r.descriptor["nodes"][1]["priority"] == 204);
  CHECK(warned(r, 1, "priority 255 (address owner) became 254"));
  CHECK(warned(r, 1, "placeholder 192.0.2.1"));
  CHECK(warned(r, 1, "placeholder 192.0.2.2"));
  CHECK(warned(r, 1, "give --peer-priority"));
  CHECK(warned(r, 1, "VRRPv2"));
  CHECK(warned(r, 2, "'state' is not carried"));

  ImportOptions o;
  o.node_name = "east";
  o.node_address = "198.51.100.1";
  o.peer_name = "west";
  o.peer_address = "198.51.100.2";
  ImportResult given = convert_ok("vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 9\n}\n", o);
  CHECK(given.descriptor["nodes"] == Json::parse(R"([{"name":"east","address":"198.51.100.1","priority":100},
      {"name":"west","address":"198.51.100.2","priority":150}])"));
}

TEST_CASE("convert: VRRP options the descriptor cannot hold are warnings on their lines") {
  ImportResult r = convert_ok(
      "vrrp_instance VI_1 {\n"                                          // 1
      "  interface eth0\n"                                              // 2
      "  virtual_router_id 9\n"                                         // 3
      "  version 3\n"                                                   // 4
      "  authentication {\n    auth_type PASS\n    auth_pass x\n  }\n"  // 5-8
      "  notify_master /bin/master.sh\n"                                // 9
      "  notify /bin/notify.sh\n"                                       // 10
      "  track_interface {\n    eth1\n  }\n"                            // 11-13
      "  track_script {\n    chk\n  }\n"                                // 14-16
      "  use_vmac\n"                                                    // 17
      "  smtp_alert\n"                                                  // 18
      "  virtual_routes {\n    192.0.2.0/24 via 192.0.2.254\n  }\n"     // 19-21
      "  virtual_ipaddress {\n    192.0.2.10/24 dev eth0 label eth0:1\n  }\n"  // 22-24
      "  virtual_ipaddress_excluded {\n    192.0.2.11/24\n  }\n"        // 25-27
      "}\n"                                                             // 28
      "vrrp_script chk {\n  script /bin/true\n}\n"                      // 29-31
      "vrrp_sync_group G {\n  group {\n    VI_1\n  }\n}\n");            // 32-36
  for (auto [line, keyword] : std::vector<std::pair<int, std::string>>{
           {5, "authentication"}, {9, "notify_master"}, {10, "notify"}, {11, "track_interface"},
           {14, "track_script"}, {17, "use_vmac"}, {18, "smtp_alert"}, {19, "virtual_routes"},
           {29, "vrrp_script"}, {32, "vrrp_sync_group"}}) {
    INFO(keyword);
    CHECK(warned(r, line, "'" + keyword + "' is not carried"));
  }
  CHECK(warned(r, 23, "'label eth0:1'"));
  CHECK(warned(r, 26, "excluded address"));
  CHECK(r.descriptor["ha"]["vips"].size() == 2);
}

TEST_CASE("convert: a second vrrp_instance joins the first one's virtual router, with a warning") {
  ImportResult r = convert_ok(
      "vrrp_instance A {\n  interface eth0\n  virtual_router_id 1\n  lvs_sync_daemon_interface eth1\n"
      "  virtual_ipaddress {\n    192.0.2.10\n  }\n}\n"
      "vrrp_instance B {\n  interface eth1\n  virtual_router_id 2\n  priority 42\n"
      "  virtual_ipaddress {\n    203.0.113.1/24\n  }\n}\n");
  CHECK(warned(r, 9, "vrrp_instance B (virtual_router_id 2) is merged into A (virtual_router_id 1)"));
  CHECK(r.descriptor["ha"]["vips"] == Json::parse(R"([{"address":"192.0.2.10/32","interface":"eth0"},
      {"address":"203.0.113.1/24","interface":"eth1"}])"));
  CHECK(r.descriptor["ha"]["sync"] == Json::parse(R"({"interface":"eth1","sync_id":1})"));
}

TEST_CASE("convert: global options: lvs_timeouts are carried, mail settings and the rest warned") {
  ImportResult r = convert_ok(
      "global_defs {\n"
      "  lvs_timeouts tcp 7200 tcpfin 60 udp 30\n"
      "  notification_email {\n    root@example.org\n  }\n"
      "  lvs_flush\n"
      "  enable_snmp_checker\n"
      "}\n"
      "static_routes {\n  192.0.2.0/24 dev eth0\n}\n"
      "lvs_sync_daemon eth0\n");
  CHECK(r.descriptor["ipvs"] == Json::parse(R"({"tcp_timeout_s":7200,"tcp_fin_timeout_s":60,"udp_timeout_s":30})"));
  CHECK(warned(r, 3, "'notification_email' is not carried"));
  CHECK(warned(r, 6, "'lvs_flush' is not carried"));
  CHECK(warned(r, 7, "'enable_snmp_checker' is not carried"));
  CHECK(warned(r, 9, "'static_routes' is not carried"));
  CHECK(warned(r, 12, "'lvs_sync_daemon' is not carried"));
}

TEST_CASE("convert: a malformed value is an error naming its line, and nothing is produced") {
  ImportResult r = import_text("virtual_server 192.0.2.10 25 {\n  real_server 203.0.113.11 25 {\n    weight heavy\n  }\n}\n");
  REQUIRE(!r.ok());
  CHECK(r.error->where.line == 3);
  CHECK(r.error->message == "weight: 'heavy' is not a whole number");
  CHECK(r.descriptor.is_null());
  ImportResult odd = import_text("global_defs {\n  lvs_timeouts tcp\n}\n");
  REQUIRE(!odd.ok());
  CHECK(odd.error->where.line == 2);
  ImportResult addr = import_text("virtual_server 192.0.2.999 25 {\n}\n");
  REQUIRE(!addr.ok());
  CHECK(addr.error->message.find("not an IP address") != std::string::npos);
}

TEST_CASE("convert: the reference keepalived.conf is mail-cluster.json for the kernel table, nodes and ha") {
  std::string conf = lvs::testing::source_file("tests/kernel/keepalived_import/mail-cluster.keepalived.conf");
  REQUIRE(!conf.empty());
  ImportOptions o;
  o.peer_priority = 100;
  ImportResult r = convert_ok(conf, o);
  CHECK(r.warnings.empty());
  lvs::model::LoadResult converted = lvs::model::load_cluster_text(r.descriptor.dump(), "converted");
  lvs::model::LoadResult example =
      lvs::model::load_cluster_text(lvs::testing::source_file("schemas/examples/mail-cluster.json"), "mail-cluster.json");
  REQUIRE(converted.ok());
  REQUIRE(example.ok());
  CHECK(converted.cluster->nodes == example.cluster->nodes);
  CHECK(converted.cluster->ha == example.cluster->ha);
  auto a = lvs::desired::desired_from_model(*converted.cluster).services;
  auto b = lvs::desired::desired_from_model(*example.cluster).services;
  CHECK(a.size() == 10);
  CHECK(std::is_permutation(a.begin(), a.end(), b.begin(), b.end()));
  // What differs on purpose: keepalived has no POP3/IMAP check, so those ports get tcp.
  for (const auto& vs : converted.cluster->virtual_services) {
    INFO(vs.name);
    CHECK(vs.check.type == (vs.port == 25 ? lvs::model::CheckType::smtp : lvs::model::CheckType::tcp));
    CHECK(vs.on_failure == lvs::model::OnFailure::quiesce);
    CHECK(vs.check.interval_ms == 5000);
    CHECK(vs.check.timeout_ms == 3000);
    CHECK(vs.check.fall == 3);
  }
}

TEST_CASE("convert: placeholder node addresses take the family of the known one, not of the VIPs") {
  ImportResult r = convert_ok(
      "vrrp_instance V6 {\n  interface eth0\n  virtual_router_id 3\n  unicast_src_ip 198.51.100.1\n"
      "  virtual_ipaddress {\n    2001:db8::10/64\n  }\n}\n");
  CHECK(r.descriptor["nodes"][0]["address"] == "198.51.100.1");
  CHECK(r.descriptor["nodes"][1]["address"] == "192.0.2.2");
  ImportResult v6 = convert_ok("vrrp_instance V6 {\n  interface eth0\n  virtual_router_id 3\n"
                               "  virtual_ipaddress {\n    2001:db8::10/64\n  }\n}\n");
  CHECK(v6.descriptor["nodes"][0]["address"] == "2001:db8::1");
  CHECK(v6.descriptor["nodes"][1]["address"] == "2001:db8::2");
}

TEST_CASE("convert: a block where the converter does not look is still warned about, line by line") {
  ImportResult r = import_text("global_defs {\n  router_id lb1 {\n    stray 1\n  }\n}\n");
  REQUIRE(r.ok());
  REQUIRE(r.unaccounted.size() == 1);
  CHECK(r.unaccounted[0].line == 3);
  CHECK(warned(r, 3, "'stray' is not carried: the importer does not expect it here"));
}
