#pragma once
// The daemon core with everything injected: FakeIpvs, a manual clock, probes whose
// outcome the test sets per real, an in-memory sysctl table and a log kept in memory.
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "daemon/daemon.h"
#include "ipvs/fake_ipvs.h"
#include "support/manual_clock.h"
#include "support/temp_dir.h"

namespace lvsd::test {

using lvs::testing::ManualClock;
using lvs::testing::MidRandom;
using lvs::testing::TempDir;
using lvs::testing::write_file;

class MemoryLog final : public Logger {
 public:
  void write(Level, std::string_view line) override { lines.emplace_back(line); }
  bool enabled(Level) const override { return true; }
  bool contains(const std::string& text) const;
  std::vector<std::string> lines;
};

class FakeSysctl final : public SysctlAccess {
 public:
  lvs::Result<std::string> read(const std::string& name) override;
  lvs::Status write(const std::string& name, const std::string& value) override;
  std::map<std::string, std::string> values{
      {"expire_quiescent_template", "0"}, {"expire_nodest_conn", "0"}, {"conn_reuse_mode", "1"}};
  int writes = 0;
};

// A descriptor: service "smtp" on 192.0.2.10:25 over pool "mail" (203.0.113.81, .82),
// tcp check every 1 s, rise 2, fall 2; `service_extra` is added to the service object,
// `more_services` after it.
std::string descriptor(const std::string& service_extra = "", const std::string& more_services = "");
// Its service and reals as the tests name them.
inline constexpr const char* kVip = "192.0.2.10:25";
inline constexpr const char* kA = "203.0.113.81:25";
inline constexpr const char* kB = "203.0.113.82:25";

struct Harness {
  Harness();
  ~Harness();

  // (Re)creates the daemon (as a process restart would) and starts it.
  std::optional<StartFailure> start();
  void stop() { daemon.reset(); }
  // Advances the clock in 100 ms steps, polling after each.
  void run_for(std::chrono::milliseconds d);
  void set_up(const std::string& endpoint, bool up) { probe_up[endpoint] = up; }
  // The kernel's weight of a real (nullopt: not in the table).
  std::optional<std::uint32_t> weight(const std::string& vip_port, const std::string& real) const;
  bool has_real(const std::string& vip_port, const std::string& real) const { return weight(vip_port, real).has_value(); }
  // Runs one control request and returns the (synchronous) reply.
  nlohmann::json request(const Request& r);

  TempDir dir;
  std::string config;
  lvs::ipvs::FakeIpvs ipvs;
  ManualClock clock;
  std::int64_t wall = 1'800'000'000;
  MidRandom random;
  FakeSysctl sysctls;
  MemoryLog log;
  std::map<std::string, bool> probe_up;     // endpoint -> outcome (default up)
  std::map<std::string, int> probes_run;    // endpoint -> probes started
  bool out_of_fds = false;                  // every probe fails as if socket() gave EMFILE
  std::unique_ptr<Daemon> daemon;
  // Handed to the daemon as DaemonDeps::make_ha (empty: no HA, as most tests want).
  std::function<lvs::Result<std::unique_ptr<HaPart>>(const lvs::model::Cluster&)> make_ha;
  std::vector<nlohmann::json> events;  // what the daemon published for subscribers
  // Handed to the daemon as DaemonDeps::marks (null: no marks, as most tests want).
  lvs::desired::MarkFilter* marks = nullptr;
};

}  // namespace lvsd::test
