// A larger table: the same promises hold (zero writes on restart, a health edge changes
// only that real) with 1,000 services x 4 reals. The 4 VIPs carry the same 250 ports
// and reals, so the 4,000 (service, real) pairs share 1,000 checks.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>

#include "harness.h"

using namespace std::chrono_literals;
using lvsd::test::Harness;

namespace {

std::string big_descriptor(int services) {
  std::string s = R"({"cluster": "big", "nodes": [{"name": "lb1", "address": "198.51.100.11", "priority": 100}],
  "services": [)";
  for (int i = 0; i < services; ++i) {
    const int vip = 1 + i / 250, port = 1000 + i % 250;
    if (i) s += ",";
    s += R"({"name": "s)" + std::to_string(i) + R"(", "address": "192.0.2.)" + std::to_string(vip) +
         R"(", "port": )" + std::to_string(port) + R"(, "scheduler": "rr", "check": {"type": "tcp", "interval_ms": 1000, "timeout_ms": 500, "rise": 1, "fall": 1}, "reals": [)";
    for (int r = 1; r <= 4; ++r) {
      if (r > 1) s += ",";
      s += R"({"address": "203.0.113.)" + std::to_string(r) + R"("})";
    }
    s += "]}";
  }
  return s + "]}";
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

TEST_CASE("scale: 1,000 services x 4 reals restart with zero writes; one fall writes that real in each of its 4 services") {
  Harness h;
  lvsd::test::write_file(h.config, big_descriptor(1000));
  auto t0 = std::chrono::steady_clock::now();
  auto failed = h.start();
  for (const auto& l : h.log.lines)
    if (failed) UNSCOPED_INFO(l);
  REQUIRE_FALSE(failed);
  const double first_start = seconds_since(t0);
  CHECK(h.daemon->check_count() == 1000);
  h.run_for(1100ms);
  CHECK(h.weight("192.0.2.4:1249", "203.0.113.4:1249") == 1u);
  h.stop();
  h.ipvs.reset_writes();
  t0 = std::chrono::steady_clock::now();
  REQUIRE_FALSE(h.start());
  const double restart = seconds_since(t0);
  CHECK(h.ipvs.writes() == 0);
  h.set_up("203.0.113.2:1010", false);
  h.run_for(1100ms);
  CHECK(h.ipvs.writes() == 4);
  CHECK(h.weight("192.0.2.1:1010", "203.0.113.2:1010") == 0u);
  CHECK(h.weight("192.0.2.4:1010", "203.0.113.2:1010") == 0u);
  CHECK(h.weight("192.0.2.4:1010", "203.0.113.3:1010") == 1u);
  t0 = std::chrono::steady_clock::now();
  const nlohmann::json st = h.daemon->status();
  const double status = seconds_since(t0);
  CHECK(st["services"].size() == 1000);
  // Figures for the report, not assertions (timing depends on the machine).
  std::printf("scale: first start %.2f s, restart %.2f s, status %.3f s (1,000 x 4, FakeIpvs)\n", first_start, restart,
              status);
}

TEST_CASE("scale: at 10,000 services a drain and a health edge each write once and read no whole table") {
  Harness h;
  lvsd::test::write_file(h.config, big_descriptor(10000));
  REQUIRE_FALSE(h.start());
  h.run_for(1100ms);
  h.ipvs.reset_writes();
  h.ipvs.reset_table_reads();
  lvsd::Request drain;
  drain.command = lvsd::Command::drain;
  drain.service = "s7";
  drain.real = "203.0.113.2";
  auto t0 = std::chrono::steady_clock::now();
  REQUIRE(h.request(drain)["ok"] == true);
  const double drain_s = seconds_since(t0);
  CHECK(h.ipvs.writes() == 1);
  CHECK(h.ipvs.table_reads() == 0);

  h.set_up("203.0.113.3:1009", false);  // the check of s9 on every VIP: 40 services
  h.run_for(1000ms);
  CHECK(h.ipvs.writes() == 1 + 40);
  CHECK(h.ipvs.table_reads() == 0);
  lvsd::Request q;
  q.command = lvsd::Command::status;
  q.service = "s9";
  t0 = std::chrono::steady_clock::now();
  const auto st = h.daemon->status(q);
  const double status_s = seconds_since(t0);
  REQUIRE(st.services.size() == 1);
  CHECK(st.summary.down == 40);
  std::printf("scale: drain %.4f s, filtered status %.4f s (10,000 x 4, FakeIpvs)\n", drain_s, status_s);
}
