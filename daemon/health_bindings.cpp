#include "daemon/health_bindings.h"

#include "daemon/health_wiring.h"

namespace lvsd {

namespace health = lvs::health;

std::string health_line(const health::CheckKey& check, const health::HealthEdge& edge, const std::string& services) {
  return "health: " + health::describe(check.probe) + " " + std::string(health::to_string(edge.health)) + ": " +
         edge.cause.message + " (" + services + ")";
}

HealthBindings::HealthBindings(const health::Clock& clock, health::Random& random, health::ProbeFactory factory,
                               Logger& log, OnEdge on_edge)
    : clock_(clock),
      factory_(std::move(factory)),
      log_(log),
      on_edge_(std::move(on_edge)),
      runner_(clock),
      registry_(clock, random, runner_, factory_, [this](const health::ShortageEpisode& e) {
        // Out of descriptors or memory is this balancer's fault: once per episode, and
        // no real changes health for it (lib/health/README.md).
        if (e.ongoing)
          log_.warning("health: checks put off, this host is short of resources: " + e.first_message +
                       " (reals keep their health; retried every second)");
        else
          log_.notice("health: checks run again after a resource shortage; " + std::to_string(e.retried) +
                      " checks were put off");
      }) {}

HealthBindings::~HealthBindings() {
  for (auto& [identity, b] : checks_) registry_.unsubscribe(b.id);
}

void HealthBindings::bind(const std::vector<CheckBinding>& bindings) {
  CheckMap next;
  for (const auto& b : bindings) {
    if (next.count(b.check)) continue;
    if (auto it = checks_.find(b.check); it != checks_.end()) {
      next.emplace(b.check, it->second);  // unchanged check: keeps its tracker and state
      continue;
    }
    health::CheckKey key = b.serving ? starting_up(b.check) : b.check;
    health::CheckKey identity = b.check;
    auto id = registry_.subscribe(
        key, [this, identity](const health::CheckKey&, const health::HealthEdge& e) { on_edge(identity, e); });
    next.emplace(identity, Bound{key, id, {}});
    log_.debug("health: watching " + health::describe(key.probe) + (b.serving ? " (serving: starts up)" : ""));
  }
  for (auto& [identity, b] : checks_)
    if (!next.count(identity)) registry_.unsubscribe(b.id);
  // Named once here, so a health edge costs no walk over every real.
  for (auto& [identity, b] : next) b.services.clear();
  for (const auto& b : bindings) {
    auto& names = next.at(b.check).services;
    if (!names.empty()) names += ", ";
    names += b.service;
  }
  checks_ = std::move(next);
}

const health::Tracker* HealthBindings::tracker(const health::CheckKey& check) const {
  auto it = checks_.find(check);
  if (it == checks_.end()) return nullptr;
  return registry_.tracker(it->second.key);
}

void HealthBindings::poll() {
  registry_due_ = registry_.poll();
  runner_.dispatch(0);
  registry_due_ = registry_.poll();  // results reschedule their checks
}

std::optional<health::TimePoint> HealthBindings::next_wakeup() const {
  std::optional<health::TimePoint> t = registry_due_;
  auto d = runner_.next_deadline();
  if (d && (!t || *d < *t)) t = d;
  return t;
}

void HealthBindings::probe_once(const health::ProbeConfig& config, std::function<void(const health::ProbeResult&)> done) {
  runner_.add(factory_(config, clock_.now()),
              [done = std::move(done)](health::ProbeId, const health::ProbeResult& r) { done(r); });
}

void HealthBindings::on_edge(const health::CheckKey& identity, const health::HealthEdge& edge) {
  auto it = checks_.find(identity);
  const std::string line = health_line(identity, edge, it == checks_.end() ? std::string() : it->second.services);
  if (edge.health == health::Health::up) log_.notice(line);
  else log_.warning(line);
  on_edge_(identity);
}

}  // namespace lvsd
