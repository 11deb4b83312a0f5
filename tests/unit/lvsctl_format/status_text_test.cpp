// `lvsctl status` text: the summary comes first, and a brief or filtered document says
// how much of the cluster it shows and how to see the rest.
#include <catch2/catch.hpp>

#include "status_text.h"

namespace control = lvs::control;

namespace {

control::StatusReport report(const std::string& shown) {
  control::StatusReport s;
  s.summary = {300, 1200, 1199, 1, 0};
  s.shown = shown;
  control::ServiceStatus svc;
  svc.name = "s7";
  svc.key = "tcp 192.0.2.1:1007";
  control::RealStatus r;
  r.real = "203.0.113.2:1007";
  r.health = "down";
  svc.reals = {r};
  s.services = {svc};
  return s;
}

}  // namespace

TEST_CASE("status text: the summary line is first") {
  const std::string out = lvsctl::status_text(report("all"));
  CHECK(out.rfind("summary: 300 services, 1200 reals: 1199 up, 1 down, 0 draining or drained\n", 0) == 0);
  CHECK(out.find("203.0.113.2:1007") != std::string::npos);
  CHECK(out.find("--all") == std::string::npos);
}

TEST_CASE("status text: a brief document says how to see all; a filtered one how many matched") {
  const std::string brief = lvsctl::status_text(report("brief"));
  CHECK(brief.find("1 of 300 services shown: those with a real down, draining or drained. All: lvsctl status --all") !=
        std::string::npos);
  const std::string filtered = lvsctl::status_text(report("filtered"));
  CHECK(filtered.find("1 of 300 services match the filters") != std::string::npos);
}

TEST_CASE("status text: a retiring service is listed with its connections and deadline") {
  auto st = report("all");
  st.retiring = {{"fwmark 10 (inet)", "", 0, 300, 3}, {"tcp 192.0.2.1:1007", "203.0.113.3:1007", 0, 300, 1}};
  const std::string out = lvsctl::status_text(st);
  CHECK(out.find("retiring (gone from the descriptor, every real at weight 0): fwmark 10 (inet), 3 connection(s) left") !=
        std::string::npos);
  CHECK(out.find("deleted after 300 s at the latest") != std::string::npos);
  CHECK(out.find("real 203.0.113.3:1007 of tcp 192.0.2.1:1007, 1 connection(s) left") != std::string::npos);
}
