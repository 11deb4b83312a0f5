// lvsd_metrics_bench: what one Prometheus scrape costs lvsd's loop at 10,000 services x
// 4 reals (the daemon over FakeIpvs, every real in the table with counters). Prints the
// median and the longest of 7 renderings and the size of the text; no peer to compare.
//   lvsd_metrics_bench [SERVICES]
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

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
  std::sort(wall.begin(), wall.end());
  std::sort(cpu.begin(), cpu.end());
  std::printf("metrics: %d services x 4 reals: one scrape renders in %.1f ms median (%.1f ms max) wall, "
              "%.1f ms CPU median; %.1f MB of text\n",
              services, wall[wall.size() / 2], wall.back(), cpu[cpu.size() / 2], static_cast<double>(bytes) / 1e6);
  return 0;
}
