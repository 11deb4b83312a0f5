// lvsctl diff and apply against FakeIpvs: the same reconcile path as lvsd, the report,
// the exit codes and the ownership record.
#include <catch2/catch.hpp>

#include <cerrno>
#include <variant>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "descriptor_commands.h"
#include "ipvs/fake_ipvs.h"
#include "support/temp_dir.h"

namespace ipvs = lvs::ipvs;
using lvsctl::ApplyArgs;
using lvsctl::TableAccess;

namespace {

std::string descriptor(bool with_pop) {
  std::string services = R"({ "name": "smtp", "address": "192.0.2.10", "port": 25, "scheduler": "rr",
      "reals": [{ "address": "203.0.113.81" }, { "address": "203.0.113.82" }] })";
  if (with_pop)
    services += R"(, { "name": "pop", "address": "192.0.2.10", "port": 110, "scheduler": "rr",
      "reals": [{ "address": "203.0.113.81" }] })";
  return R"({ "cluster": "t", "nodes": [{ "name": "lb1", "address": "198.51.100.11", "priority": 100 }],
  "services": [ )" + services + "]}";
}

struct Setup {
  lvs::testing::TempDir dir;
  ipvs::FakeIpvs fake;
  ApplyArgs args;
  Setup() {
    args.request.file = dir.file("cluster.json");
    args.request.state_dir = dir.file("state");
    write(true);
  }
  void write(bool with_pop) { lvs::testing::write_file(args.request.file, descriptor(with_pop)); }
  TableAccess table() {
    return {[this]() -> lvs::Result<ipvs::IpvsBackend*> { return &fake; }, [this] { return fake.writes(); }};
  }
  lvsctl::CommandOutput apply() { return lvsctl::apply_descriptor(args, table()); }
  std::string owned_file() const { return lvs::testing::read_file(args.request.state_dir + "/owned.json"); }
};

ipvs::ServiceKey pop_key() {
  ipvs::ServiceKey k;
  k.address = *lvs::net::IpAddress::parse("192.0.2.10");
  k.protocol = ipvs::Protocol::tcp;
  k.port = 110;
  return k;
}

}  // namespace

TEST_CASE("lvsctl apply: a descriptor reaches the table and the record; a second apply writes nothing") {
  Setup s;
  auto first = s.apply();
  CHECK(first.exit_code == lvsctl::kExitOk);
  CHECK(first.out.find("applied 5 of 5 operations, 5 writes\n") != std::string::npos);
  CHECK(first.out.find("add service tcp 192.0.2.10:110") != std::string::npos);
  CHECK(s.owned_file().find("\"port\": 110") != std::string::npos);

  auto second = s.apply();
  CHECK(second.exit_code == lvsctl::kExitOk);
  CHECK(second.out == "applied 0 of 0 operations, 0 writes\n");
}

TEST_CASE("lvsctl diff: differences exit 1 and are listed; after apply nothing differs") {
  Setup s;
  auto before = lvsctl::diff_descriptor(s.args.request, s.table());
  CHECK(before.exit_code == lvsctl::kExitDiffers);
  CHECK(before.out.find("add service tcp 192.0.2.10:25") != std::string::npos);
  CHECK(s.fake.writes() == 0);
  REQUIRE(s.apply().exit_code == lvsctl::kExitOk);
  auto after = lvsctl::diff_descriptor(s.args.request, s.table());
  CHECK(after.exit_code == lvsctl::kExitOk);
  CHECK(after.out.empty());
}

TEST_CASE("lvsctl diff --json: one document with the plan, the edits' changes and the services left alone") {
  Setup s;
  auto before = nlohmann::json::parse(lvsctl::diff_descriptor(s.args.request, s.table(), true).out);
  CHECK(before["differs"] == true);
  CHECK(before["total"] == 5);
  REQUIRE(before["operations"].size() == 5);
  CHECK(before["operations"][0]["operation"] == "add service tcp 192.0.2.10:25 (rr)");
  CHECK_FALSE(before["operations"][0].contains("changes"));
  REQUIRE(s.apply().exit_code == lvsctl::kExitOk);

  ipvs::Service foreign;
  foreign.key = pop_key();
  foreign.key.port = 8080;
  REQUIRE(s.fake.add_service(foreign).ok());
  lvs::testing::write_file(s.args.request.file, [] {
    std::string d = descriptor(true);
    d.replace(d.find("\"address\": \"203.0.113.82\""), 26, "\"address\": \"203.0.113.82\", \"weight\": 3");
    return d;
  }());
  auto edited = lvsctl::diff_descriptor(s.args.request, s.table(), true);
  CHECK(edited.exit_code == lvsctl::kExitDiffers);
  CHECK(edited.err.empty());  // the note on the foreign service is in the document
  auto doc = nlohmann::json::parse(edited.out);
  REQUIRE(doc["operations"].size() == 1);
  CHECK(doc["operations"][0]["changes"] == "weight 1 -> 3");
  CHECK(doc["left_alone"] == nlohmann::json::array({"tcp 192.0.2.10:8080"}));

  s.args.request.file = s.dir.file("missing.json");
  auto bad = lvsctl::diff_descriptor(s.args.request, s.table(), true);
  CHECK(bad.exit_code == lvsctl::kExitError);
  CHECK(bad.out.empty());
}

TEST_CASE("lvsctl apply: a delete applied without its acknowledgement is settled by the table and forgotten") {
  Setup s;
  REQUIRE(s.apply().exit_code == lvsctl::kExitOk);
  s.write(false);
  s.fake.lose_ack_of([](const ipvs::Operation& op) {
    const auto* d = std::get_if<ipvs::DeleteService>(&op);
    return d && d->key == pop_key();
  });
  auto out = s.apply();
  CHECK(out.exit_code == lvsctl::kExitOk);
  CHECK(out.out.find("delete service tcp 192.0.2.10:110") != std::string::npos);
  CHECK(s.owned_file().find("\"port\": 110") == std::string::npos);

  ipvs::Service theirs;  // an operator's own service with that key is left alone
  theirs.key = pop_key();
  theirs.scheduler = "wlc";
  REQUIRE(s.fake.add_service(theirs));
  auto again = s.apply();
  CHECK(again.exit_code == lvsctl::kExitOk);
  CHECK(again.err.find("left alone") != std::string::npos);
  CHECK(s.fake.read_table()->services.size() == 2);
}

TEST_CASE("lvsctl apply: a refused operation exits 2 and names the object and errno") {
  Setup s;
  s.fake.fail_next_write(ENOMEM);
  auto out = s.apply();
  CHECK(out.exit_code == lvsctl::kExitError);
  CHECK(out.err.find("lvsctl: failed: add service tcp 192.0.2.10:25") != std::string::npos);
  CHECK(out.err.find("errno 12") != std::string::npos);
}

TEST_CASE("lvsctl apply: an invalid descriptor changes nothing and exits 2") {
  Setup s;
  lvs::testing::write_file(s.args.request.file, R"({"cluster": "t", "services": [{"port": 70000}]})");
  auto out = s.apply();
  CHECK(out.exit_code == lvsctl::kExitError);
  CHECK(out.err.find("nothing changed") != std::string::npos);
  CHECK(s.fake.writes() == 0);
}

namespace {

class FakeMarks final : public lvs::desired::MarkFilter {
 public:
  explicit FakeMarks(const ipvs::FakeIpvs& ipvs) : ipvs_(ipvs) {}
  lvs::Status install(const lvs::desired::MarkRules& rules) override {
    calls.push_back("install");
    ipvs_writes_at_call.push_back(ipvs_.writes());
    if (fail) return lvs::make_error(EPERM, "nftables: cannot install table inet lvsd_mark");
    installed = rules;
    return lvs::ok();
  }
  lvs::Status remove() override {
    calls.push_back("remove");
    if (fail) return lvs::make_error(EPERM, "nftables: cannot remove table inet lvsd_mark");
    installed.reset();
    return lvs::ok();
  }
  std::vector<std::string> calls;
  std::vector<std::size_t> ipvs_writes_at_call;
  std::optional<lvs::desired::MarkRules> installed;
  bool fail = false;

 private:
  const ipvs::FakeIpvs& ipvs_;
};

// IMAP on 192.0.2.10:{143, 993}, marked with 10 by lvsctl, persistent.
const char* kMarked = R"({ "cluster": "t", "nodes": [{ "name": "lb1", "address": "198.51.100.11", "priority": 100 }],
  "services": [{ "name": "imap", "address": "192.0.2.10", "ports": [143, 993], "fwmark": 10, "scheduler": "rr",
                 "persistence_s": 1800, "reals": [{ "address": "203.0.113.81" }, { "address": "203.0.113.82" }] }]})";

struct MarkSetup : Setup {
  FakeMarks marks{fake};
  MarkSetup() { lvs::testing::write_file(args.request.file, kMarked); }
  TableAccess table() {
    TableAccess t = Setup::table();
    t.marks = [this]() -> lvs::Result<lvs::desired::MarkFilter*> { return &marks; };
    return t;
  }
  lvsctl::CommandOutput apply() { return lvsctl::apply_descriptor(args, table()); }
};

}  // namespace

TEST_CASE("lvsctl apply: a marked service gets its marks before the table, and one fwmark service") {
  MarkSetup s;
  auto out = s.apply();
  INFO(out.err);
  CHECK(out.exit_code == lvsctl::kExitOk);
  CHECK(s.marks.calls == std::vector<std::string>{"install"});
  CHECK(s.marks.ipvs_writes_at_call == std::vector<std::size_t>{0});
  REQUIRE(s.marks.installed);
  REQUIRE(s.marks.installed->rules.size() == 1);
  CHECK(s.marks.installed->rules[0].mark == 10);
  CHECK(s.marks.installed->rules[0].ports == std::vector<std::uint16_t>{143, 993});
  CHECK(out.out.find("marks: 1 marked service (2 ports) in table inet lvsd_mark\n") != std::string::npos);
  CHECK(out.out.find("add service fwmark 10 (inet)") != std::string::npos);
  auto table = s.fake.read_table();
  REQUIRE(table);
  REQUIRE(table->services.size() == 1);
  CHECK(table->services[0].service.key.fwmark == 10);
  CHECK(table->services[0].service.timeout_s == 1800);

  // diff claims no difference for it once applied.
  auto diff = lvsctl::diff_descriptor(s.args.request, s.table());
  CHECK(diff.exit_code == lvsctl::kExitOk);
  CHECK(diff.out.empty());

  auto json = nlohmann::json::parse([&] {
    s.args.json = true;
    return s.apply().out;
  }());
  CHECK(json["marks"]["table"] == "inet lvsd_mark");
  CHECK(json["marks"]["rules"][0]["ports"] == nlohmann::json::array({143, 993}));
  CHECK(json["marks"]["rules"][0]["fwmark"] == 10);
}

TEST_CASE("lvsctl apply: marks that cannot be set change nothing and exit 2; --dry-run sets none") {
  MarkSetup s;
  s.args.dry_run = true;
  auto dry = s.apply();
  CHECK(dry.exit_code == lvsctl::kExitOk);
  CHECK(s.marks.calls.empty());
  CHECK(dry.out.find("marks: would set 1 marked service (2 ports) in table inet lvsd_mark\n") != std::string::npos);

  s.args.dry_run = false;
  s.marks.fail = true;
  auto failed = s.apply();
  CHECK(failed.exit_code == lvsctl::kExitError);
  CHECK(failed.err.find("lvsctl: cannot set the firewall marks; nothing changed: nftables: cannot install table "
                        "inet lvsd_mark: Operation not permitted (errno 1)") != std::string::npos);
  CHECK(s.fake.writes() == 0);
}

TEST_CASE("lvsctl apply: without marked services a table left behind is removed; failing that is no error") {
  MarkSetup s;
  REQUIRE(s.apply().exit_code == lvsctl::kExitOk);
  s.write(true);  // smtp and pop, nothing marked
  auto plain = s.apply();
  CHECK(plain.exit_code == lvsctl::kExitOk);
  CHECK(s.marks.calls == std::vector<std::string>{"install", "remove"});
  CHECK_FALSE(s.marks.installed);
  CHECK(plain.out.find("marks") == std::string::npos);

  s.marks.fail = true;
  auto again = s.apply();
  CHECK(again.exit_code == lvsctl::kExitOk);
  CHECK(again.err.empty());
}
