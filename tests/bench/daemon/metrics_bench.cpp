// lvsd_metrics_bench: what one Prometheus scrape costs lvsd's loop at 10,000 services x
// 4 reals (the daemon over FakeIpvs, every real in the table with counters). Prints the
// median and the longest of 7 renderings in one go (metrics_text) and the size of the
// text, then 7 scrapes as the server renders them, in slices of MetricsLimits'
// slice_bytes (metrics_step): the longest slice is the longest loop turn a scrape takes.
// No peer to compare.
//   lvsd_metrics_bench [SERVICES]
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "daemon/metrics_server.h"
#include "unit/daemon/harness.h"

namespace {

// As tests/unit/daemon/daemon_scale_test.cpp builds it: 4 VIPs x 250 ports, 4 reals each.
std::string descriptor(int services) {
  std::string s = R"({"cluster": "big", "nodes": [{"name": "lb1", "address": "198.51.100.11", "priority": 100}],
  "services": [)";
  for (int i = 0; i < services; ++i) {
    if (i) s += ",";
    s += R"({"name": "research)" + std::to_string(i) + R"(", "address": "192.0.2.)" + std::to_string(1 + i / 250) +
         R"(", "port": )" + std::to_string(1000 + i % 250) +
         R"(, "scheduler": "rr", "check": {"type": "tcp", "interval_ms": 1000, "timeout_ms": 500}, "reals": [)";
    for (int r = 1; r <= 4; ++r) s += std::string(r > 1 ? "," : "") + R"({"address": "203.0.113.)" + std::to_string(r) + R"("})";
    s += "]}";
  }
  return s + "]}";
}

}  // namespace

int main(int argc, char** argv) {
  const int services = argc > 1 ? std::atoi(argv[1]) : 10000;
  lvsd::test::Harness h;
  lvsd::test::write_file(h.config, descriptor(services));
  if (h.start()) {
    std::fprintf(stderr, "metrics_bench: the daemon did not start\n");
    return 1;
  }
  h.run_for(std::chrono::milliseconds(1100));  // every check has a result
  // Wall time (what the loop waits) and this thread's CPU time (what it costs, whatever
  // else the machine runs).
  auto cpu_ms = [] {
    timespec t{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
  };
  std::vector<double> wall, cpu;
  std::size_t bytes = 0;
  for (int i = 0; i < 7; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_ms();
    const std::string text = h.daemon->metrics_text();
    cpu.push_back(cpu_ms() - c0);
    wall.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    bytes = text.size();
  }
  // In slices, as the server sends them (each slice appended to a buffer emptied before
  // the next, as the socket would take it).
  const std::size_t slice = lvsd::MetricsLimits{}.slice_bytes;
  std::vector<double> turn_wall, turn_cpu, total_wall, total_cpu;
  std::size_t slices = 0, streamed = 0;
  for (int i = 0; i < 7; ++i) {
    lvsd::MetricsCursor cursor;
    std::string out;
    double longest_wall = 0, longest_cpu = 0, sum_wall = 0, sum_cpu = 0;
    slices = streamed = 0;
    for (bool done = false; !done;) {
      out.clear();
      const auto t0 = std::chrono::steady_clock::now();
      const double c0 = cpu_ms();
      done = h.daemon->metrics_step(cursor, out, slice);
      const double c = cpu_ms() - c0;
      const double w = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      longest_wall = std::max(longest_wall, w);
      longest_cpu = std::max(longest_cpu, c);
      sum_wall += w;
      sum_cpu += c;
      ++slices;
      streamed += out.size();
    }
    turn_wall.push_back(longest_wall);
    turn_cpu.push_back(longest_cpu);
    total_wall.push_back(sum_wall);
    total_cpu.push_back(sum_cpu);
  }
  for (auto* v : {&turn_wall, &turn_cpu, &total_wall, &total_cpu}) std::sort(v->begin(), v->end());
  std::sort(wall.begin(), wall.end());
  std::sort(cpu.begin(), cpu.end());
  std::printf("metrics: %d services x 4 reals: one scrape in one go (metrics_text) renders in %.1f ms median (%.1f ms max) wall, "
              "%.1f ms CPU median; %.1f MB of text\n",
              services, wall[wall.size() / 2], wall.back(), cpu[cpu.size() / 2], static_cast<double>(bytes) / 1e6);
  std::printf("metrics: in slices of %zu KiB (as served): %zu slices, %.1f MB; longest loop turn %.2f ms wall "
              "(%.2f ms max of 7), %.2f ms CPU (%.2f ms max of 7); whole scrape %.1f ms wall, %.1f ms CPU (medians of 7)\n",
              slice / 1024, slices, static_cast<double>(streamed) / 1e6, turn_wall[turn_wall.size() / 2],
              turn_wall.back(), turn_cpu[turn_cpu.size() / 2], turn_cpu.back(), total_wall[total_wall.size() / 2],
              total_cpu[total_cpu.size() / 2]);
  return 0;
}
