#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "model/loader.h"
#include "test_support.h"

using namespace lvs::model;

namespace {

std::string with_key_file(const std::string& key_file) {
  return R"({
  "cluster": "t",
  "nodes": [
    {"name": "lb1", "address": "198.51.100.11", "priority": 150},
    {"name": "lb2", "address": "198.51.100.12", "priority": 100}
  ],
  "ha": {
    "virtual_router_id": 9, "interface": "eth2",
    "authentication": {"type": "hmac-sha256", "key_file": ")" +
         key_file + R"("},
    "vips": [{"address": "192.0.2.10/24", "interface": "eth0"}]
  },
  "services": [
    {"name": "m", "address": "192.0.2.10", "port": 25, "scheduler": "rr", "reals": [{"address": "203.0.113.1"}]}
  ]
})";
}

LoadOptions mode(LoadMode m) {
  LoadOptions o;
  o.mode = m;
  return o;
}

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

}  // namespace

TEST_CASE("key file: readable by others is a warning for validate and an error for the daemon") {
  test::TempDir dir;
  std::string key = dir.path() + "/vrrp.key";
  std::ofstream(key) << "secret\n";
  REQUIRE(::chmod(key.c_str(), 0644) == 0);
  std::string text = with_key_file(key);

  auto v = load_cluster_text(text, "k.json", mode(LoadMode::validate));
  INFO(test::dump(v.diagnostics));
  REQUIRE(v.diagnostics.size() == 1);
  CHECK(v.diagnostics[0].severity == Severity::warning);
  CHECK(v.diagnostics[0].message.find("is readable by others (mode 0644)") != std::string::npos);
  CHECK(v.ok());

  auto d = load_cluster_text(text, "k.json", mode(LoadMode::daemon));
  REQUIRE(d.diagnostics.size() == 1);
  CHECK(d.diagnostics[0].severity == Severity::error);
  CHECK(d.diagnostics[0].pointer == "/ha/authentication/key_file");
  CHECK_FALSE(d.ok());

  REQUIRE(::chmod(key.c_str(), 0600) == 0);
  auto good = load_cluster_text(text, "k.json", mode(LoadMode::daemon));
  INFO(test::dump(good.diagnostics));
  CHECK(good.diagnostics.empty());
  CHECK(good.ok());
}

TEST_CASE("key file: a missing key file blocks the daemon") {
  auto d = load_cluster_text(with_key_file("/nonexistent/lvs-model-test.key"), "k.json", mode(LoadMode::daemon));
  REQUIRE(d.diagnostics.size() == 1);
  CHECK(d.diagnostics[0].severity == Severity::error);
  CHECK(d.diagnostics[0].message.find("does not exist") != std::string::npos);
}

TEST_CASE("defaults: the check type and TLS follow the service port") {
  struct Row { std::uint16_t port; CheckType type; TlsMode tls; };
  for (Row row : {Row{25, CheckType::smtp, TlsMode::none}, Row{587, CheckType::smtp, TlsMode::none},
                  Row{465, CheckType::smtp, TlsMode::implicit}, Row{110, CheckType::pop3, TlsMode::none},
                  Row{995, CheckType::pop3, TlsMode::implicit}, Row{143, CheckType::imap, TlsMode::none},
                  Row{993, CheckType::imap, TlsMode::implicit}, Row{80, CheckType::tcp, TlsMode::none}}) {
    auto c = default_check_for_port(row.port);
    INFO("port " << row.port);
    CHECK(c.type == row.type);
    CHECK(c.tls == row.tls);
  }
}

TEST_CASE("defaults: the C++ defaults are the ones the schema documents") {
  auto schema = nlohmann::json::parse(test::read_file(test::source_tree() + "/schemas/cluster.schema.json"));
  const auto& defs = schema["definitions"];
  HealthCheck h;
  CHECK(defs["check"]["properties"]["interval_ms"]["default"] == h.interval_ms);
  CHECK(defs["check"]["properties"]["timeout_ms"]["default"] == h.timeout_ms);
  CHECK(defs["check"]["properties"]["rise"]["default"] == h.rise);
  CHECK(defs["check"]["properties"]["fall"]["default"] == h.fall);
  CHECK(defs["check"]["properties"]["verify"]["default"] == h.verify);
  Ha ha;
  CHECK(defs["ha"]["properties"]["advert_interval_ms"]["default"] == ha.advert_interval_ms);
  CHECK(defs["ha"]["properties"]["preempt"]["default"] == ha.preempt);
  ServiceSpec s;
  CHECK(defs["service"]["properties"]["quorum"]["default"] == s.quorum);
  CHECK(defs["service"]["properties"]["on_failure"]["default"] == to_string(s.on_failure));
  RealSpec r;
  CHECK(defs["real"]["properties"]["weight"]["default"] == r.weight);
  IpvsSettings i;
  CHECK(defs["ipvs"]["properties"]["expire_quiescent_template"]["default"] == i.expire_quiescent_template);
  CHECK(defs["ipvs"]["properties"]["expire_nodest_conn"]["default"] == i.expire_nodest_conn);
  CHECK(defs["ipvs"]["properties"]["conn_reuse_mode"]["default"] == i.conn_reuse_mode);
  // Every scheduler the model knows is in the schema's enum, in the same order.
  std::vector<std::string> listed = defs["service"]["properties"]["scheduler"]["enum"];
  CHECK(listed == std::vector<std::string>(std::begin(kSchedulers), std::end(kSchedulers)));
}

TEST_CASE("checks: a service overrides single fields of its pool's check") {
  CheckSpec pool;
  pool.interval_ms = 1000;
  pool.rise = 5;
  CheckSpec service;
  service.rise = 1;
  auto c = apply_check(apply_check(default_check_for_port(993), pool), service);
  CHECK(c.type == CheckType::imap);
  CHECK(c.tls == TlsMode::implicit);
  CHECK(c.interval_ms == 1000);
  CHECK(c.rise == 1);
  CheckSpec tcp;
  tcp.type = CheckType::tcp;
  CHECK(apply_check(default_check_for_port(993), tcp).tls == TlsMode::none);
}

TEST_CASE("scheduler flags: names map to the kernel's flag-1..3 bits") {
  VirtualService v;
  v.scheduler_flags = {"mh-fallback", "mh-port", "flag-3"};
  CHECK(v.scheduler_flag_bits() == 0x7);
  CHECK(scheduler_flag_number("sh-port") == 2);
  CHECK(scheduler_flag_number("bogus") == 0);
}

TEST_CASE("local node: found by name, else by a local address; ambiguity and absence are errors") {
  auto r = load_cluster_file(test::examples_dir() + "/mail-cluster.json");
  REQUIRE(r.ok());
  const Cluster& c = *r.cluster;
  auto by_name = find_local_node(c, "lb2", {});
  REQUIRE(by_name.ok());
  CHECK(by_name->priority == 100);
  CHECK_FALSE(find_local_node(c, "lb3", {}).ok());
  auto by_addr = find_local_node(c, "", {ip("127.0.0.1"), ip("198.51.100.11")});
  REQUIRE(by_addr.ok());
  CHECK(by_addr->name == "lb1");
  auto none = find_local_node(c, "", {ip("127.0.0.1")});
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().message.find("--node") != std::string::npos);
  CHECK_FALSE(find_local_node(c, "", {ip("198.51.100.11"), ip("198.51.100.12")}).ok());
}

TEST_CASE("expansion: ports become one service each, named name/port, reals on that port") {
  auto r = load_cluster_text(R"({"cluster": "x", "nodes": [{"name": "a", "address": "198.51.100.1", "priority": 1}],
    "services": [{"name": "m", "address": "192.0.2.1", "ports": [25, 587], "scheduler": "wlc",
                  "reals": [{"address": "203.0.113.1"}, {"address": "203.0.113.2", "port": 2525, "weight": 0}]}]})",
                             "x.json");
  INFO(test::dump(r.diagnostics));
  REQUIRE(r.ok());
  const auto& vs = r.cluster->virtual_services;
  REQUIRE(vs.size() == 2);
  CHECK(vs[0].name == "m/25");
  CHECK(vs[1].name == "m/587");
  CHECK(vs[1].reals[0].port == 587);
  CHECK(vs[1].reals[1].port == 2525);
  CHECK(vs[1].reals[1].weight == 0);
  CHECK(vs[0].source_pointer == "/services/0");
  CHECK(vs[0].check.type == CheckType::smtp);
}

namespace {

// One mail service on `port` with a check written in the pool or in the service.
std::string with_login(int port, const std::string& credentials, const std::string& check_in,
                       const char* tls = nullptr) {
  std::string check = R"({"credentials_file": ")" + credentials + "\"" +
                      (tls ? std::string(R"(, "tls": ")") + tls + "\"" : std::string()) + "}";
  std::string pool_check = check_in == "pool" ? R"(, "check": )" + check : "";
  std::string service_check = check_in == "service" ? R"(, "check": )" + check : "";
  return R"({"cluster": "t", "nodes": [{"name": "a", "address": "198.51.100.1", "priority": 1}],
    "pools": {"p": {"reals": [{"address": "203.0.113.1"}])" + pool_check + R"(}},
    "services": [{"name": "m", "address": "192.0.2.1", "port": )" + std::to_string(port) +
         R"(, "scheduler": "rr", "pool": "p")" + service_check + "}]}";
}

std::vector<Diagnostic> clear_text_warnings(const LoadResult& r) {
  std::vector<Diagnostic> out;
  for (const auto& d : r.diagnostics)
    if (d.message.find("clear text") != std::string::npos) out.push_back(d);
  return out;
}

}  // namespace

TEST_CASE("credentials: a pop3 login without TLS is a warning at the check's credentials_file") {
  test::TempDir dir;
  std::string cred = dir.path() + "/pop3.cred";
  std::ofstream(cred) << "probe\nsecret\n";
  REQUIRE(::chmod(cred.c_str(), 0600) == 0);
  auto r = load_cluster_text(with_login(110, cred, "service"), "c.json");
  INFO(test::dump(r.diagnostics));
  CHECK(r.ok());
  auto w = clear_text_warnings(r);
  REQUIRE(w.size() == 1);
  CHECK(w[0].severity == Severity::warning);
  CHECK(w[0].pointer == "/services/0/check/credentials_file");
  CHECK(w[0].message == "the pop3 check of service m sends USER/PASS in clear text (tls: none); "
                        "use tls: starttls, or implicit on port 995");
  CHECK(w[0].line >= 1);
}

TEST_CASE("credentials: an imap login without TLS from a pool's check is located in the pool") {
  test::TempDir dir;
  std::string cred = dir.path() + "/imap.cred";
  std::ofstream(cred) << "probe\nsecret\n";
  REQUIRE(::chmod(cred.c_str(), 0600) == 0);
  auto r = load_cluster_text(with_login(143, cred, "pool"), "c.json");
  INFO(test::dump(r.diagnostics));
  CHECK(r.ok());
  auto w = clear_text_warnings(r);
  REQUIRE(w.size() == 1);
  CHECK(w[0].pointer == "/pools/p/check/credentials_file");
  CHECK(w[0].message.find("imap check of service m sends LOGIN in clear text") != std::string::npos);
}

TEST_CASE("credentials: a login over STARTTLS or implicit TLS draws no clear-text warning") {
  test::TempDir dir;
  std::string cred = dir.path() + "/mail.cred";
  std::ofstream(cred) << "probe\nsecret\n";
  REQUIRE(::chmod(cred.c_str(), 0600) == 0);
  for (auto [port, tls] : {std::pair<int, const char*>{110, "starttls"}, {143, "starttls"}, {995, nullptr},
                           {993, nullptr}}) {
    auto r = load_cluster_text(with_login(port, cred, "service", tls), "c.json");
    INFO(port << "\n" << test::dump(r.diagnostics));
    CHECK(r.ok());
    CHECK(r.diagnostics.empty());
  }
}
