// Status filters (--service, --real, --down, --draining), the summary, the brief form
// of a large cluster, and counts read for the shown services only.
#include <catch2/catch.hpp>

#include <algorithm>

#include "harness.h"

using namespace std::chrono_literals;
using lvs::testing::write_file;
using lvsd::test::descriptor;
using lvsd::test::Harness;
using lvsd::test::kA;
using lvsd::test::kB;
using lvsd::test::kVip;

namespace {

// smtp and smtp2 share the checked pool; quiet has one unchecked real.
const char* kMore = R"(,
    { "name": "smtp2", "address": "192.0.2.11", "port": 25, "scheduler": "rr", "pool": "mail" },
    { "name": "quiet", "address": "192.0.2.12", "port": 2525, "scheduler": "rr", "pool": "sorry" })";

lvsd::Request status(const std::string& service = "", const std::string& real = "", bool down = false,
                     bool draining = false) {
  lvsd::Request r;
  r.command = lvsd::Command::status;
  r.service = service;
  r.real = real;
  r.down = down;
  r.draining = draining;
  return r;
}

// "service: real real; service: real" of a status document, to compare in one line.
std::string shown(const lvs::control::StatusReport& st) {
  std::string out;
  for (const auto& s : st.services) {
    out += (out.empty() ? "" : "; ") + s.name + ":";
    for (const auto& r : s.reals) out += " " + r.real;
  }
  return out;
}

// kB down (in smtp and smtp2), kA drained in smtp.
void troubled(Harness& h) {
  write_file(h.config, descriptor("", kMore));
  REQUIRE_FALSE(h.start());
  h.run_for(2000ms);
  REQUIRE(h.weight(kVip, kA) == 1u);
  h.set_up(kB, false);
  h.run_for(2500ms);
  REQUIRE(h.weight(kVip, kB) == 0u);
  lvsd::Request d;
  d.command = lvsd::Command::drain;
  d.service = "smtp";
  d.real = kA;
  REQUIRE(h.request(d)["ok"] == true);
}

}  // namespace

TEST_CASE("status: the summary counts the whole cluster; filters select services and reals") {
  Harness h;
  troubled(h);
  const auto all = h.daemon->status();
  CHECK(all.shown == "all");
  CHECK(shown(all) == "smtp: 203.0.113.81:25 203.0.113.82:25; smtp2: 203.0.113.81:25 203.0.113.82:25; quiet: 203.0.113.99:2525");
  CHECK(all.summary == lvs::control::StatusSummary{3, 5, 3, 2, 1});

  auto one = h.daemon->status(status("smtp2"));
  CHECK(one.shown == "filtered");
  CHECK(shown(one) == "smtp2: 203.0.113.81:25 203.0.113.82:25");
  CHECK(one.summary == all.summary);  // the summary is of everything, filtered or not
  CHECK(shown(h.daemon->status(status("", "203.0.113.81"))) == "smtp: 203.0.113.81:25; smtp2: 203.0.113.81:25");
  CHECK(shown(h.daemon->status(status("", "203.0.113.99:25"))).empty());  // that port: none
  CHECK(shown(h.daemon->status(status("", "", true))) == "smtp: 203.0.113.82:25; smtp2: 203.0.113.82:25");
  CHECK(shown(h.daemon->status(status("", "", false, true))) == "smtp: 203.0.113.81:25");
  CHECK(shown(h.daemon->status(status("", "", true, true))) ==
        "smtp: 203.0.113.81:25 203.0.113.82:25; smtp2: 203.0.113.82:25");
  CHECK(shown(h.daemon->status(status("smtp2", "", true, true))) == "smtp2: 203.0.113.82:25");
}

TEST_CASE("status: an unknown service is refused by name; a filter matching nothing is an empty list") {
  Harness h;
  troubled(h);
  auto reply = h.request(status("nosuch"));
  CHECK(reply["ok"] == false);
  CHECK(reply["error"] == "no service named \"nosuch\"");
  reply = h.request(status("quiet", "", true));
  REQUIRE(reply["ok"] == true);
  CHECK(reply["status"]["services"].empty());
  CHECK(reply["status"]["shown"] == "filtered");
}

TEST_CASE("status: a cluster larger than brief_over, asked without filters, shows only services with trouble") {
  Harness h;
  troubled(h);
  auto q = status();
  q.brief_over = 2;
  const auto brief = h.daemon->status(q);
  CHECK(brief.shown == "brief");
  CHECK(shown(brief) == "smtp: 203.0.113.81:25 203.0.113.82:25; smtp2: 203.0.113.81:25 203.0.113.82:25");
  q.brief_over = 3;  // not larger: everything
  CHECK(h.daemon->status(q).shown == "all");
  q.brief_over = 2;
  q.service = "quiet";  // a filter wins over brief
  CHECK(shown(h.daemon->status(q)) == "quiet: 203.0.113.99:2525");
}

TEST_CASE("status: a filtered request reads the counts of its services only, an unfiltered one the whole table") {
  Harness h;
  troubled(h);
  lvs::ipvs::ServiceKey smtp2;
  smtp2.address = *lvs::net::IpAddress::parse("192.0.2.11");
  smtp2.port = 25;
  REQUIRE(h.ipvs.set_counters(smtp2, {*lvs::net::IpAddress::parse("203.0.113.81"), 25}, {}, 5, 0, 0));
  h.clock.advance(2000ms);  // the counts lvsd has are stale now
  h.ipvs.reset_table_reads();
  auto reply = h.request(status("smtp2"));
  REQUIRE(reply["ok"] == true);
  CHECK(h.ipvs.table_reads() == 0);
  CHECK(reply["status"]["services"][0]["reals"][0]["active_conns"] == 5);
  h.clock.advance(2000ms);
  reply = h.request(status());
  CHECK(h.ipvs.table_reads() == 1);
  CHECK(reply["status"]["services"].size() == 3);
}
