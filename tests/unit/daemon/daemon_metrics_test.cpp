// lvsd's metrics over FakeIpvs: what the exposition says about reals, services, checks,
// reconciles and descriptor loads, and that Prometheus's own parser reads it.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "daemon/metrics_counters.h"
#include "harness.h"

using namespace std::chrono_literals;
using lvsd::test::Harness;
namespace ipvs = lvs::ipvs;

namespace {

lvsd::Request command(lvsd::Command c, const std::string& real = "") {
  lvsd::Request r;
  r.command = c;
  r.real = real;
  return r;
}

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

ipvs::ServiceKey vip() {
  ipvs::ServiceKey k;
  k.address = *lvs::net::IpAddress::parse("192.0.2.10");
  k.port = 25;
  return k;
}

}  // namespace

TEST_CASE("metrics: per real health, admin state, weights and the kernel's counters") {
  Harness h;
  REQUIRE_FALSE(h.start());
  h.set_up(lvsd::test::kB, false);
  h.run_for(3s);
  ipvs::Stats stats;
  stats.conns = 7;
  stats.inpkts = 70;
  stats.outpkts = 60;
  stats.inbytes = 7000;
  stats.outbytes = 6000;
  REQUIRE(h.ipvs.set_counters(vip(), {*lvs::net::IpAddress::parse("203.0.113.81"), 25}, stats, 2, 3, 0));
  REQUIRE(h.request(command(lvsd::Command::status)).at("ok") == true);  // reads counts older than 1 s
  const std::string m = h.daemon->metrics_text();
  const std::string a = "{service=\"smtp\",real=\"203.0.113.81:25\"";
  const std::string b = "{service=\"smtp\",real=\"203.0.113.82:25\"";
  CHECK(has_line(m, "lvsd_real_health" + a + ",state=\"up\"} 1"));
  CHECK(has_line(m, "lvsd_real_health" + b + ",state=\"down\"} 1"));
  CHECK(has_line(m, "lvsd_real_admin_state" + a + ",state=\"enabled\"} 1"));
  CHECK(has_line(m, "lvsd_real_weight_configured" + a + "} 1"));
  CHECK(has_line(m, "lvsd_real_weight_current" + a + "} 1"));
  CHECK(has_line(m, "lvsd_real_weight_current" + b + "} 0"));  // quiesced
  CHECK(has_line(m, "lvsd_real_connections_active" + a + "} 2"));
  CHECK(has_line(m, "lvsd_real_connections_inactive" + a + "} 3"));
  CHECK(has_line(m, "lvsd_real_connections_total" + a + "} 7"));
  CHECK(has_line(m, "lvsd_real_incoming_packets_total" + a + "} 70"));
  CHECK(has_line(m, "lvsd_real_outgoing_bytes_total" + a + "} 6000"));
  CHECK(has_line(m, "lvsd_service_in_kernel{service=\"smtp\"} 1"));
  CHECK(has_line(m, "lvsd_service_reals_healthy{service=\"smtp\"} 1"));
  CHECK(has_line(m, "# TYPE lvsd_real_connections_total counter"));
  CHECK(has_line(m, "# TYPE lvsd_real_weight_current gauge"));
}

TEST_CASE("metrics: a drained real says so; a real left out of the table has no kernel series") {
  Harness h;
  REQUIRE_FALSE(h.start());
  h.run_for(3s);
  auto reply = h.request(command(lvsd::Command::drain, "203.0.113.81"));
  INFO(reply.dump());
  REQUIRE(reply.at("ok") == true);
  h.run_for(3s);  // counts are read while draining: no connections, so drained
  std::string m = h.daemon->metrics_text();
  CHECK(has_line(m, "lvsd_real_admin_state{service=\"smtp\",real=\"203.0.113.81:25\",state=\"drained\"} 1"));
  CHECK(has_line(m, "lvsd_real_weight_current{service=\"smtp\",real=\"203.0.113.81:25\"} 0"));

  lvsd::test::write_file(h.config, lvsd::test::descriptor(R"(, "on_failure": "remove")"));
  REQUIRE(h.daemon->reload().ok);
  h.set_up(lvsd::test::kB, false);
  h.run_for(3s);
  m = h.daemon->metrics_text();
  CHECK(has_line(m, "lvsd_real_health{service=\"smtp\",real=\"203.0.113.82:25\",state=\"down\"} 1"));
  CHECK(m.find("lvsd_real_weight_current{service=\"smtp\",real=\"203.0.113.82:25\"}") == std::string::npos);
  CHECK(m.find("lvsd_real_connections_active{service=\"smtp\",real=\"203.0.113.82:25\"}") == std::string::npos);
}

TEST_CASE("metrics: check latency per kind, failures by reason, reconciles and descriptor loads") {
  Harness h;
  REQUIRE_FALSE(h.start());
  h.set_up(lvsd::test::kB, false);
  h.run_for(3s);
  const auto& tcp = h.daemon->counters().checks[static_cast<std::size_t>(lvs::health::ProbeType::tcp)];
  REQUIRE(tcp.latency.count() >= 4);  // two reals, about once a second
  const std::string m = h.daemon->metrics_text();
  // The fake probes take 1.5 ms: all in the 2.5 ms bucket, none at 1 ms.
  CHECK(has_line(m, "lvsd_check_duration_seconds_bucket{kind=\"tcp\",le=\"0.001\"} 0"));
  CHECK(has_line(m, "lvsd_check_duration_seconds_bucket{kind=\"tcp\",le=\"0.0025\"} " + std::to_string(tcp.latency.count())));
  CHECK(has_line(m, "lvsd_check_duration_seconds_count{kind=\"smtp\"} 0"));
  std::size_t i = 0;
  while (lvsd::kFailureReasons[i] != "refused") ++i;
  const auto refused = tcp.failures[i];
  CHECK(refused >= 2);
  CHECK(has_line(m, "lvsd_check_failures_total{kind=\"tcp\",reason=\"refused\"} " + std::to_string(refused)));
  CHECK(has_line(m, "lvsd_check_failures_total{kind=\"tcp\",reason=\"timeout\"} 0"));
  CHECK(has_line(m, "lvsd_descriptor_loads_total{result=\"ok\"} 1"));
  CHECK(has_line(m, "lvsd_descriptor_ok 1"));
  CHECK(has_line(m, "lvsd_checks 2"));
  CHECK(m.find("\nlvsd_reconcile_runs_total ") != std::string::npos);
  CHECK(has_line(m, "lvsd_reconcile_failed_writes_total 0"));

  // A refused reload counts as an error and the gauge says the last load failed.
  lvsd::test::write_file(h.config, "{ not json");
  CHECK_FALSE(h.daemon->reload().ok);
  const std::string after = h.daemon->metrics_text();
  CHECK(has_line(after, "lvsd_descriptor_loads_total{result=\"error\"} 1"));
  CHECK(has_line(after, "lvsd_descriptor_ok 0"));
}

TEST_CASE("metrics: a kernel write that fails counts as a failed write and a failed run") {
  Harness h;
  h.ipvs.fail_next_write(ENOMEM);
  REQUIRE_FALSE(h.start());
  const std::string m = h.daemon->metrics_text();
  CHECK(has_line(m, "lvsd_reconcile_failed_runs_total 1"));
  CHECK(m.find("\nlvsd_reconcile_failed_writes_total 0\n") == std::string::npos);
  CHECK(has_line(m, "lvsd_service_in_kernel{service=\"smtp\"} 0"));
}

TEST_CASE("metrics: a failure is counted under the label of lib/health's reason code") {
  using lvsd::failure_reason;
  using R = lvs::health::FailureReason;
  // Each code its own label, as the series were named when they came from the messages.
  CHECK(failure_reason(R::timeout) == "timeout");
  CHECK(failure_reason(R::connect) == "connect");
  CHECK(failure_reason(R::tls) == "tls");
  CHECK(failure_reason(R::closed) == "closed");
  CHECK(failure_reason(R::auth) == "auth");
  CHECK(failure_reason(R::refused) == "refused");
  CHECK(failure_reason(R::protocol) == "protocol");
  CHECK(failure_reason(R::setup) == "setup");
  CHECK(failure_reason(R::other) == "other");
  // A failure that gave no reason is other; a local shortage (never counted: the registry
  // retries it) would be setup.
  CHECK(failure_reason(R::none) == "other");
  CHECK(failure_reason(R::shortage) == "setup");
  // Every label it gives is a series of the exposition.
  for (int i = 0; i <= static_cast<int>(R::shortage); ++i)
    CHECK(std::find(lvsd::kFailureReasons.begin(), lvsd::kFailureReasons.end(), failure_reason(static_cast<R>(i))) !=
          lvsd::kFailureReasons.end());
}

TEST_CASE("metrics: failures are counted by the result's reason code, whatever its message says") {
  lvsd::DaemonCounters counters;
  lvs::health::CheckKey key;
  key.probe.type = lvs::health::ProbeType::smtp;
  lvs::health::ProbeResult r;
  r.ok = false;
  // The server's own words once decided the label ("refused", "STARTTLS" in a greeting).
  r.message = "unexpected greeting: 500 refused, no STARTTLS within reach";
  r.reason = lvs::health::FailureReason::protocol;
  counters.record(key, r);
  r.message = "connection reset by server while waiting for the reply to EHLO";
  r.reason = lvs::health::FailureReason::closed;
  counters.record(key, r);
  const auto& smtp = counters.checks[static_cast<std::size_t>(lvs::health::ProbeType::smtp)];
  auto count = [&](std::string_view label) {
    const auto at = std::find(lvsd::kFailureReasons.begin(), lvsd::kFailureReasons.end(), label);
    REQUIRE(at != lvsd::kFailureReasons.end());
    return smtp.failures[static_cast<std::size_t>(at - lvsd::kFailureReasons.begin())];
  };
  CHECK(count("protocol") == 1);
  CHECK(count("closed") == 1);
  CHECK(count("timeout") == 0);
  CHECK(count("tls") == 0);
  CHECK(count("other") == 0);
}

// Prometheus's own text parser (python3-prometheus-client from Debian) reads the whole
// exposition: every family, name and label set is valid, and the values read back.
TEST_CASE("metrics: the Python prometheus_client parser reads the exposition and its values") {
  Harness h;
  // A service name with characters the format escapes would be refused by the schema;
  // the escaping itself is tested in tests/unit/metrics.
  REQUIRE_FALSE(h.start());
  h.set_up(lvsd::test::kB, false);
  h.run_for(3s);
  const std::string path = h.dir.file("metrics.txt");
  {
    std::ofstream f(path);
    f << h.daemon->metrics_text();
  }
  const std::string script = std::string(std::getenv("LVS_SOURCE_DIR")) + "/tests/unit/daemon/parse_metrics.py";
  const std::string cmd = "/usr/bin/python3 " + script + " " + path;
  const int rc = std::system(cmd.c_str());
  INFO("ran: " << cmd << " (needs python3-prometheus-client: scripts/setup-deps.sh)");
  REQUIRE(WIFEXITED(rc));
  CHECK(WEXITSTATUS(rc) == 0);
}

namespace {

// 4 VIPs x 250 ports, 4 reals each (as daemon_scale_test builds it).
std::string big_descriptor(int services) {
  std::string s = R"({"cluster": "big", "nodes": [{"name": "lb1", "address": "198.51.100.11", "priority": 100}],
  "services": [)";
  for (int i = 0; i < services; ++i) {
    if (i) s += ",";
    s += R"({"name": "s)" + std::to_string(i) + R"(", "address": "192.0.2.)" + std::to_string(1 + i / 250) +
         R"(", "port": )" + std::to_string(1000 + i % 250) +
         R"(, "scheduler": "rr", "check": {"type": "tcp", "interval_ms": 1000, "timeout_ms": 500, "rise": 1, "fall": 1}, "reals": [)";
    for (int r = 1; r <= 4; ++r) s += std::string(r > 1 ? "," : "") + R"({"address": "203.0.113.)" + std::to_string(r) + R"("})";
    s += "]}";
  }
  return s + "]}";
}

// Prometheus's parser on `text`, with parse_metrics.py's checks (`flags`): its exit code.
int parse_metrics(Harness& h, const std::string& text, const std::string& flags) {
  const std::string path = h.dir.file("sliced.txt");
  {
    std::ofstream f(path);
    f << text;
  }
  const std::string cmd = "/usr/bin/python3 " + std::string(std::getenv("LVS_SOURCE_DIR")) +
                          "/tests/unit/daemon/parse_metrics.py " + path + " " + flags;
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

}  // namespace

// A scrape must not hold the loop (VRRP adverts, checks): the server renders it in slices,
// one per loop turn, and the daemon runs between them.
TEST_CASE("metrics: rendered in slices, the document is the one-shot one; changes between slices keep it valid") {
  Harness h;
  lvsd::test::write_file(h.config, big_descriptor(300));
  REQUIRE_FALSE(h.start());
  h.run_for(1100ms);
  constexpr std::size_t budget = 2048;
  const std::string whole = h.daemon->metrics_text();

  std::string sliced;
  int steps = 0;
  {
    lvsd::MetricsCursor cursor;
    for (bool done = false; !done; ++steps) {
      std::string out;
      done = h.daemon->metrics_step(cursor, out, budget);
      if (steps > 0) CHECK(out.size() < budget + 512);  // the budget and one series at most (the first: the small families, whole)
      sliced += out;
    }
  }
  CHECK(steps > 300);
  CHECK(sliced == whole);

  // Now the daemon runs between slices: checks, a real going down, a drain asked over the
  // control protocol, counters read, and a reload with more services in the middle of a family.
  sliced.clear();
  lvsd::MetricsCursor cursor;
  int step = 0;
  bool reloaded = false;
  for (bool done = false; !done; ++step) {
    std::string out;
    done = h.daemon->metrics_step(cursor, out, budget);
    sliced += out;
    if (step % 20 == 0) h.run_for(100ms);
    if (step == 40) h.set_up("203.0.113.2:1010", false);
    if (step == 80) {
      lvsd::Request r;
      r.command = lvsd::Command::drain;
      r.real = "203.0.113.3";
      CHECK(h.request(r).at("ok") == true);
    }
    if (step == steps * 3 / 4) {
      // 100 services put before the others: every index now means another service, so
      // going on where the family stood would write series again.
      std::string more = big_descriptor(300);
      std::string front;
      for (int i = 0; i < 100; ++i)
        front += R"({"name": "t)" + std::to_string(i) + R"(", "address": "192.0.2.9", "port": )" + std::to_string(2000 + i) +
                 R"(, "scheduler": "rr", "reals": [{"address": "203.0.113.9"}]},)";
      more.insert(more.find("\"services\": [") + 13, front);
      lvsd::test::write_file(h.config, more);
      CHECK(h.daemon->reload().ok);
      reloaded = true;
      h.run_for(100ms);
    }
  }
  CHECK(reloaded);
  CHECK(sliced != whole);
  CHECK(sliced.find("lvsd_real_admin_state{service=\"s0\",real=\"203.0.113.3:1000\",state=\"drain") != std::string::npos);
  // Each family once and whole up to the reload, each series once, and the parser reads it.
  INFO("needs python3-prometheus-client: scripts/setup-deps.sh");
  CHECK(parse_metrics(h, sliced, "--structure") == 0);
  // The check itself sees a family split in two and a series written twice.
  const auto next = whole.find("# HELP lvsd_real_admin_state ");
  const auto mid = whole.find("\nlvsd_real_health{service=\"s1\"") + 1;
  REQUIRE(mid < next);
  const std::string split = whole.substr(0, mid) + whole.substr(next) + whole.substr(mid, next - mid);
  CHECK(parse_metrics(h, split, "--structure") != 0);
  const std::string twice = whole.substr(0, next) + "lvsd_real_health{service=\"s0\",real=\"203.0.113.1:1000\",state=\"up\"} 1\n" +
                            whole.substr(next);
  CHECK(parse_metrics(h, twice, "--structure") != 0);
}
