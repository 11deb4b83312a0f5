#pragma once
// The daemon's health part: the probe runner, the check registry, and which check each
// (service, real) of the descriptor is bound to. A check keeps its tracker across a
// reload while its key is unchanged; a new check of a real the kernel was serving
// starts up, so a restart does not flap weights. Reports each health edge as one log
// line (health_line) and to the daemon.
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "daemon/log.h"
#include "health/probe_loop.h"
#include "health/registry.h"

namespace lvsd {

// One check as the descriptor binds it: its identity (the descriptor's initial state)
// and a service that uses it.
struct CheckBinding {
  lvs::health::CheckKey check;
  std::string service;
  bool serving = false;  // its real is in the kernel with a non-zero weight
};

// "health: tcp 203.0.113.81:25 down: connection refused (smtp, smtp2)": the line lvsd
// logs for an edge (notice when up, warning when down).
std::string health_line(const lvs::health::CheckKey& check, const lvs::health::HealthEdge& edge,
                        const std::string& services);

class HealthBindings {
 public:
  using OnEdge = std::function<void(const lvs::health::CheckKey&)>;  // the check whose health changed
  HealthBindings(const lvs::health::Clock& clock, lvs::health::Random& random, lvs::health::ProbeFactory factory,
                 Logger& log, OnEdge on_edge);
  ~HealthBindings();
  HealthBindings(const HealthBindings&) = delete;
  HealthBindings& operator=(const HealthBindings&) = delete;

  bool bound(const lvs::health::CheckKey& check) const { return checks_.count(check) != 0; }
  // Binds exactly these checks: new ones are subscribed (serving ones start up), bound
  // ones keep their tracker, the rest are dropped.
  void bind(const std::vector<CheckBinding>& bindings);
  // The tracker of a bound check; nullptr when none.
  const lvs::health::Tracker* tracker(const lvs::health::CheckKey& check) const;
  std::size_t check_count() const { return registry_.check_count(); }
  // Every scheduled check's result as it reaches its tracker (metrics).
  void observe_results(lvs::health::ResultObserver observer) { registry_.set_result_observer(std::move(observer)); }
  std::uint64_t checks_put_off() const { return registry_.checks_put_off(); }

  int fd() const { return runner_.fd(); }
  // Starts due checks and collects finished probes. Never blocks.
  void poll();
  std::optional<lvs::health::TimePoint> next_wakeup() const;

  // Runs one probe now (the check command); its result does not count towards rise/fall.
  void probe_once(const lvs::health::ProbeConfig& config, std::function<void(const lvs::health::ProbeResult&)> done);

 private:
  struct Bound {
    lvs::health::CheckKey key;  // what the registry knows it as
    lvs::health::SubscriptionId id = 0;
    std::string services;  // the services that use this check, for log lines
  };
  using CheckMap = std::unordered_map<lvs::health::CheckKey, Bound, lvs::health::CheckKeyHash>;

  void on_edge(const lvs::health::CheckKey& identity, const lvs::health::HealthEdge& edge);

  const lvs::health::Clock& clock_;
  lvs::health::ProbeFactory factory_;
  Logger& log_;
  OnEdge on_edge_;
  lvs::health::ProbeRunner runner_;
  lvs::health::CheckRegistry registry_;
  CheckMap checks_;
  std::optional<lvs::health::TimePoint> registry_due_;
};

}  // namespace lvsd
