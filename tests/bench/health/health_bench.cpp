// lvs_health_bench: the lvsd side of the health-check benchmark. N identical-kind checks
// (tcp or smtp) on consecutive ports, scheduled by CheckRegistry and run by ProbeRunner
// exactly as the daemon runs them (trackers, jitter, one epoll set), for a fixed time.
// CPU is measured from outside (/proc/PID/stat) like keepalived's checker; at the end
// (--run-s or SIGTERM) it prints how many checks are up, so failing probes are visible.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "health/probe.h"
#include "health/probe_loop.h"
#include "health/random.h"
#include "health/registry.h"
#include "health/tls_context.h"

using namespace lvs::health;

namespace {
volatile sig_atomic_t stop_requested = 0;
void request_stop(int) { stop_requested = 1; }
}  // namespace

int main(int argc, char** argv) {
  std::string type = "tcp", address = "127.0.0.1";
  int first = 0, count = 0, interval_ms = 10000, run_s = 60;
  double jitter = 0.5;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string opt = argv[i], val = argv[i + 1];
    if (opt == "--type") type = val;
    else if (opt == "--address") address = val;
    else if (opt == "--ports") {
      auto colon = val.find(':');
      first = std::stoi(val.substr(0, colon));
      count = colon == std::string::npos ? 1 : std::stoi(val.substr(colon + 1));
    } else if (opt == "--interval-ms") interval_ms = std::stoi(val);
    else if (opt == "--run-s") run_s = std::stoi(val);
    else if (opt == "--jitter") jitter = std::stod(val);
    else {
      std::cerr << "usage: lvs_health_bench --type tcp|smtp --address A --ports FIRST:COUNT "
                   "[--interval-ms MS] [--jitter F] [--run-s S]\n";
      return 2;
    }
  }
  auto addr = lvs::net::IpAddress::parse(address);
  if (!addr || first <= 0 || count <= 0 || first + count > 65536 || (type != "tcp" && type != "smtp")) {
    std::cerr << "lvs_health_bench: bad arguments\n";
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  // SIGTERM ends the run early (the benchmark script stops it once it has measured).
  struct sigaction sa {};
  sa.sa_handler = request_stop;
  sigaction(SIGTERM, &sa, nullptr);

  SteadyClock clock;
  SeededRandom random(42);
  TlsContextCache tls;
  ProbeRunner runner(clock);
  CheckRegistry registry(clock, random, runner,
                         [&tls](const ProbeConfig& c, TimePoint now) { return make_probe(c, tls, now); });

  std::vector<CheckKey> keys;
  for (int p = first; p < first + count; ++p) {
    CheckKey key;
    key.probe.type = type == "smtp" ? ProbeType::smtp : ProbeType::tcp;
    key.probe.address = *addr;
    key.probe.port = static_cast<std::uint16_t>(p);
    key.probe.timeout = std::chrono::milliseconds(5000);
    key.tracking.interval = std::chrono::milliseconds(interval_ms);
    // The first checks spread over jitter x interval (keepalived spreads its first checks
    // over the whole delay_loop by default): 2,000 dialogues at once would time out under
    // emulation and measure the stampede, not the steady state.
    key.tracking.jitter = jitter;
    registry.subscribe(key, [](const CheckKey&, const HealthEdge&) {});
    keys.push_back(key);
  }

  auto end = clock.now() + std::chrono::seconds(run_s);
  while (clock.now() < end && !stop_requested) {
    auto next = registry.poll();
    auto wake = end;
    if (next) wake = std::min(wake, *next);
    if (auto d = runner.next_deadline()) wake = std::min(wake, *d);
    auto wait = std::chrono::ceil<std::chrono::milliseconds>(wake - clock.now()).count();
    runner.dispatch(static_cast<int>(std::max<long long>(0, wait)));
  }
  // Health from the trackers; for checks that are down, why (the commonest reasons).
  long up = 0;
  std::map<std::string, long> reasons;
  for (const auto& key : keys) {
    const Tracker* t = registry.tracker(key);
    if (t && t->health() == Health::up) {
      ++up;
    } else {
      ++reasons[t && t->last_result() ? t->last_result()->message : "never checked"];
    }
  }
  std::cout << "lvs_health_bench: " << type << " checks up: " << up << " of " << count << "\n";
  for (const auto& [reason, n] : reasons) std::cout << "  down: " << n << " x " << reason << "\n";
  return up == count ? 0 : 1;
}
