// The firewall marks of marked fwmark services (fwmark + address + ports): installed at
// start before the first reconcile, replaced on a reload that changes them, kept when a
// reload fails, removed when no service is marked, left in place at exit.
#include <catch2/catch.hpp>

#include <cerrno>

#include "daemon/table_lookup.h"
#include "harness.h"

using namespace std::chrono_literals;
using lvsd::test::Harness;
using lvsd::test::descriptor;
using lvsd::test::write_file;
namespace desired = lvs::desired;

namespace {

lvs::net::IpAddress ip(const char* t) { return *lvs::net::IpAddress::parse(t); }

// Records each call, with how many IPVS writes had been made by then.
class FakeMarks final : public desired::MarkFilter {
 public:
  explicit FakeMarks(lvs::ipvs::FakeIpvs& ipvs) : ipvs_(ipvs) {}
  lvs::Status install(const desired::MarkRules& rules) override {
    calls.push_back("install");
    ipvs_writes_at_call.push_back(ipvs_.writes());
    if (fail) return lvs::make_error(ENOBUFS, std::string("nftables: cannot install table ") + desired::kMarkTable);
    installed = rules;
    return lvs::ok();
  }
  lvs::Status remove() override {
    calls.push_back("remove");
    ipvs_writes_at_call.push_back(ipvs_.writes());
    if (fail) return lvs::make_error(ENOBUFS, std::string("nftables: cannot remove table ") + desired::kMarkTable);
    installed.reset();
    return lvs::ok();
  }
  std::vector<std::string> calls;
  std::vector<std::size_t> ipvs_writes_at_call;
  std::optional<desired::MarkRules> installed;  // nullopt: no table
  bool fail = false;

 private:
  lvs::ipvs::FakeIpvs& ipvs_;
};

// smtp (192.0.2.10:25) plus imap: 192.0.2.10 tcp {143, 993} marked with 10, persistent.
const char* kImap = R"(,
    { "name": "imap", "address": "192.0.2.10", "ports": [143, 993], "fwmark": 10, "scheduler": "rr",
      "persistence_s": 1800, "pool": "mail" })";

desired::MarkRules imap_rules(std::vector<std::uint16_t> ports = {143, 993}) {
  return {{desired::MarkRule{ip("192.0.2.10"), lvs::model::Protocol::tcp, std::move(ports), 10}}};
}

const lvs::ipvs::ServiceState* fwmark_service(Harness& h, std::uint32_t mark) {
  static lvs::ipvs::Table table;
  auto t = h.ipvs.read_table();
  REQUIRE(t);
  table = *t;
  lvs::ipvs::ServiceKey key;
  key.fwmark = mark;
  return lvsd::find_service(table, key);
}

struct MarkHarness : Harness {
  FakeMarks fake{ipvs};
  MarkHarness(const std::string& more = kImap) {
    marks = &fake;
    write_file(config, descriptor("", more));
  }
};

}  // namespace

TEST_CASE("marks: lvsd installs them at start before the first reconcile, and IPVS gets one fwmark service") {
  MarkHarness h;
  REQUIRE_FALSE(h.start());
  CHECK(h.fake.calls == std::vector<std::string>{"install"});
  CHECK(h.fake.ipvs_writes_at_call == std::vector<std::size_t>{0});  // before any IPVS write
  REQUIRE(h.fake.installed);
  CHECK(*h.fake.installed == imap_rules());
  CHECK(h.log.contains("marks: table inet lvsd_mark holds 1 marked service(s), 2 port(s)"));
  const auto* svc = fwmark_service(h, 10);
  REQUIRE(svc);
  CHECK(svc->service.timeout_s == 1800);
  REQUIRE(svc->destinations.size() == 2);
  CHECK(svc->destinations[0].dest.port == 0);  // the client's port is kept
  // No address:port service for the marked ports.
  CHECK_FALSE(h.has_real("192.0.2.10:143", "203.0.113.81:143"));
  CHECK(h.ipvs.read_table()->services.size() == 2);  // smtp and the fwmark service
}

TEST_CASE("marks: the check of a marked service probes its first port") {
  MarkHarness h;
  REQUIRE_FALSE(h.start());
  h.run_for(2000ms);
  CHECK(h.probes_run["203.0.113.81:143"] > 0);
  CHECK(h.probes_run.count("203.0.113.81:993") == 0);
  CHECK(h.probes_run.count("203.0.113.81:0") == 0);
  const auto* svc = fwmark_service(h, 10);
  REQUIRE(svc);
  CHECK(svc->destinations[0].dest.weight == 1);
}

TEST_CASE("marks: a failure at start stops lvsd with one error line before any IPVS write") {
  MarkHarness h;
  h.fake.fail = true;
  auto failed = h.start();
  REQUIRE(failed);
  CHECK(*failed == lvsd::StartFailure::environment);
  CHECK(h.ipvs.writes() == 0);
  CHECK(h.log.contains("marks: nftables: cannot install table inet lvsd_mark: No buffer space available (errno 105)"));
}

TEST_CASE("marks: a reload that changes them installs the new ones; an unchanged one writes none") {
  MarkHarness h;
  REQUIRE_FALSE(h.start());
  h.fake.calls.clear();
  auto same = h.daemon->reload();
  REQUIRE(same.ok);
  CHECK(h.fake.calls.empty());

  write_file(h.config, descriptor("", R"(,
    { "name": "imap", "address": "192.0.2.10", "ports": [143, 993, 220], "fwmark": 10, "scheduler": "rr",
      "persistence_s": 1800, "pool": "mail" })"));
  h.ipvs.reset_writes();
  auto grown = h.daemon->reload();
  REQUIRE(grown.ok);
  CHECK(h.fake.calls == std::vector<std::string>{"install"});
  CHECK(h.fake.ipvs_writes_at_call.back() == 0);  // before the reconcile
  CHECK(*h.fake.installed == imap_rules({143, 993, 220}));
}

TEST_CASE("marks: a reload whose marks cannot be installed is refused; the old descriptor and marks stay") {
  MarkHarness h;
  REQUIRE_FALSE(h.start());
  const auto cluster_before = *h.daemon->cluster();
  const auto table_before = *h.ipvs.read_table();
  h.ipvs.reset_writes();
  h.fake.fail = true;
  write_file(h.config, descriptor("", R"(,
    { "name": "imap", "address": "192.0.2.10", "ports": [143], "fwmark": 12, "scheduler": "rr", "pool": "mail" })"));
  auto r = h.daemon->reload();
  CHECK_FALSE(r.ok);
  CHECK(r.error == "cannot install the firewall marks, still running the previous descriptor");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].find("marks: nftables: cannot install table inet lvsd_mark") == 0);
  CHECK(*h.daemon->cluster() == cluster_before);
  CHECK(h.ipvs.writes() == 0);
  CHECK(*h.ipvs.read_table() == table_before);
  CHECK(*h.fake.installed == imap_rules());  // the fake kept the old ones, as nft's transaction does
  CHECK_FALSE(h.daemon->descriptor().ok);

  // Once nft works again the same descriptor loads.
  h.fake.fail = false;
  auto again = h.daemon->reload();
  REQUIRE(again.ok);
  CHECK(h.fake.installed->rules.at(0).mark == 12);
  CHECK(fwmark_service(h, 12));
  CHECK_FALSE(fwmark_service(h, 10));
}

TEST_CASE("marks: a descriptor without marked services removes the table, and its fwmark service goes") {
  MarkHarness h;
  REQUIRE_FALSE(h.start());
  write_file(h.config, descriptor());
  auto r = h.daemon->reload();
  REQUIRE(r.ok);
  CHECK(h.fake.calls == std::vector<std::string>{"install", "remove"});
  CHECK_FALSE(h.fake.installed);
  CHECK(h.log.contains("marks: table inet lvsd_mark removed"));
  CHECK_FALSE(fwmark_service(h, 10));
  // A failing removal of a table this lvsd installed refuses the reload.
  write_file(h.config, descriptor("", kImap));
  REQUIRE(h.daemon->reload().ok);
  h.fake.fail = true;
  write_file(h.config, descriptor());
  CHECK_FALSE(h.daemon->reload().ok);
  CHECK(fwmark_service(h, 10));
}

TEST_CASE("marks: at start without marked services a table left by an earlier descriptor is removed; failing that only warns") {
  MarkHarness h(std::string{});
  h.fake.installed = imap_rules();  // left by an earlier lvsd
  REQUIRE_FALSE(h.start());
  CHECK(h.fake.calls == std::vector<std::string>{"remove"});
  CHECK_FALSE(h.fake.installed);

  MarkHarness broken(std::string{});
  broken.fake.fail = true;
  REQUIRE_FALSE(broken.start());  // nothing to mark: no reason to refuse the start
  CHECK(broken.log.contains("marks: nftables: cannot remove table inet lvsd_mark"));
  CHECK(broken.ipvs.read_table()->services.size() == 1);
}

TEST_CASE("marks: lvsd leaves them in place at exit, like the IPVS table") {
  MarkHarness h;
  REQUIRE_FALSE(h.start());
  h.daemon->shutdown();
  h.stop();
  CHECK(h.fake.calls == std::vector<std::string>{"install"});
  CHECK(h.fake.installed);
  CHECK(fwmark_service(h, 10));
}
