// lib/control's status document: round trip, and the field names daemon/README.md shows.
#include <catch2/catch.hpp>

#include <regex>
#include <set>

#include "control/status.h"
#include "support/temp_dir.h"

namespace control = lvs::control;
using nlohmann::json;

namespace {

// Every optional part filled in, so every field appears in the JSON.
control::StatusReport full() {
  control::StatusReport s;
  s.daemon = {4242, "lb1", "", "/var/lib/lvsd"};
  s.summary = {300, 1200, 1190, 10, 2};
  s.shown = "brief";
  s.descriptor = {"/etc/lvsd/cluster.json", false, "mail", 1800000000, 1800000100, {"bad port"}, {"unused pool"}};
  s.sysctls = {{"expire_quiescent_template", 1, 1, "cannot write"}};
  s.reconcile = {1800000000, 3, 1, {"add real: ENOMEM"}};
  control::RealStatus r;
  r.real = "203.0.113.81:25";
  r.role = "real";
  r.check = "smtp 203.0.113.81:25";
  r.health = "up";
  r.last_result = control::LastResult{true, "250 ok", 1.5, 2.25};
  r.configured_weight = 1;
  r.desired_weight = 0;
  r.current_weight = 0;
  r.admin = "drained";
  r.drain = control::DrainInfo{1800000000, 600, 1800000300, "no connections left"};
  r.active_conns = 1;
  r.inactive_conns = 2;
  r.persistent_conns = 3;
  s.services = {{"research/25", "tcp 192.0.2.10:25", "rr", "quiesce", 1, 2, false, true, {r}}};
  control::HaReport ha;
  ha.node = "lb1";
  ha.state = "fault";
  ha.priority = 200;
  ha.fault = "tracked interface eth0 is down";
  ha.peer = control::HaPeer{"198.51.100.2", 100, 1000, 0.5};
  ha.standby = control::HaPeer{"198.51.100.2", 100, 1000, 0.4};
  ha.master_down_in_s = 2.5;
  ha.vips = {"192.0.2.10/24 on eth0"};
  ha.sync = {"master on eth1 id 51"};
  ha.tracked_down = {"eth0"};
  ha.dropped = {{"bad_ttl", 2}};
  s.ha = ha;
  s.retiring = {{"tcp 192.0.2.10:110", "", 1800000000, 300, 4}, {"tcp 192.0.2.10:25", "203.0.113.82:25", 1800000000, 300, 1}};
  return s;
}

void keys_of(const json& j, std::set<std::string>& out) {
  if (j.is_object())
    for (const auto& [k, v] : j.items()) {
      out.insert(k);
      keys_of(v, out);
    }
  else if (j.is_array())
    for (const auto& v : j) keys_of(v, out);
}

}  // namespace

TEST_CASE("status: the document decodes back to the same report") {
  const auto s = full();
  const json j = s;
  auto back = control::status_from_json(j);
  REQUIRE(back);
  CHECK(*back == s);
  control::StatusReport empty;
  auto none = control::status_from_json(json(empty));
  REQUIRE(none);
  CHECK(*none == empty);
}

TEST_CASE("status: the field names are exactly those daemon/README.md documents") {
  const std::string doc = lvs::testing::source_file("daemon/README.md");
  REQUIRE_FALSE(doc.empty());
  const auto from = doc.find("### Status document");
  REQUIRE(from != std::string::npos);
  const auto open = doc.find("```", from);
  const auto close = doc.find("```", open + 3);
  const std::string block = doc.substr(open, close - open);
  std::set<std::string> documented;
  const std::regex key("\"([a-z_]+)\":");
  for (auto it = std::sregex_iterator(block.begin(), block.end(), key); it != std::sregex_iterator(); ++it)
    documented.insert((*it)[1]);
  std::set<std::string> written;
  keys_of(json(full()), written);
  CHECK(written == documented);
}

TEST_CASE("status: a document without summary and shown (an older lvsd) shows everything") {
  json j = full();
  j.erase("summary");
  j.erase("shown");
  auto r = control::status_from_json(j);
  REQUIRE(r);
  CHECK(r->shown == "all");
  CHECK(r->summary == control::StatusSummary{});
  CHECK(r->services.size() == 1);
}

TEST_CASE("status: a field of the wrong type is an EPROTO error naming its part") {
  json j = full();
  j["services"][0]["quorum"] = "one";
  auto r = control::status_from_json(j);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == EPROTO);
  CHECK(r.error().message.find("services") != std::string::npos);
}
