// The status document (`lvsctl status`) and systemd's one-line STATUS=.
#include <unistd.h>

#include "daemon/daemon.h"
#include "daemon/overlay_builder.h"
#include "daemon/table_lookup.h"
#include "desired/desired_state.h"

namespace lvsd {

namespace health = lvs::health;
namespace ipvs = lvs::ipvs;
namespace model = lvs::model;
using nlohmann::json;

nlohmann::json Daemon::status() const {
  json doc;
  doc["daemon"] = {{"pid", static_cast<long>(::getpid())}, {"node", options_.node}, {"netns", options_.netns},
                   {"state_dir", options_.state_dir}};
  doc["descriptor"] = {{"path", descriptor_.path},
                       {"status", descriptor_.ok ? "ok" : "error"},
                       {"cluster", descriptor_.cluster},
                       {"loaded_at", descriptor_.loaded_at},
                       {"last_attempt_at", descriptor_.last_attempt_at},
                       {"errors", descriptor_.errors},
                       {"warnings", descriptor_.warnings}};
  json sysctls = json::array();
  for (const auto& s : sysctls_) {
    json j{{"name", s.name}, {"wanted", s.wanted}, {"current", s.current ? json(*s.current) : json(nullptr)}};
    if (!s.error.empty()) j["error"] = s.error;
    sysctls.push_back(std::move(j));
  }
  doc["sysctls"] = std::move(sysctls);
  const ReconcileReport& last = table_.last_reconcile();
  doc["reconcile"] = {{"at", last.at}, {"operations", last.operations}, {"failed", last.failed}, {"errors", last.errors}};
  json services = json::array();
  if (cluster_) {
    const TableIndex index(table_.observed());
    const auto now = deps_.clock.now();
    auto healthy = [this](const model::VirtualService& vs, const model::Real& r) { return slot_healthy(vs, r); };
    const auto overlay = build_overlay(*cluster_, healthy, drains_.state());
    for (const auto& vs : cluster_->virtual_services) {
      const ipvs::ServiceKey key = lvs::desired::service_key(vs);
      const ipvs::DesiredService want = lvs::desired::desired_service(vs, overlay);
      auto so = overlay.services.find(key);
      const bool sorry = so != overlay.services.end() && so->second.use_sorry;
      json reals = json::array();
      auto add_real = [&](const model::Real& r, const char* role) {
        const ipvs::DestKey dk{r.address, r.port};
        json j{{"real", endpoint(dk)}, {"role", role}, {"configured_weight", r.weight}};
        const Slot* slot = std::string(role) == "real" ? slot_for(vs.name, dk) : nullptr;
        const health::Tracker* t = slot && slot->check ? tracker_of(*slot->check) : nullptr;
        if (slot && slot->check) {
          j["check"] = health::describe(slot->check->probe);
          j["health"] = t ? std::string(health::to_string(t->health())) : "unknown";
        } else {
          j["check"] = nullptr;
          j["health"] = "unchecked";
        }
        if (t && t->last_result()) {
          const auto& lr = *t->last_result();
          const double age = std::chrono::duration<double>(now - *t->last_result_at()).count();
          j["last_result"] = {{"ok", lr.ok}, {"message", lr.message}, {"latency_ms", lr.latency.count() / 1000.0},
                              {"age_s", age}};
        } else {
          j["last_result"] = nullptr;
        }
        json desired_weight = nullptr;
        for (const auto& d : want.destinations)
          if (ipvs::key_of(d) == dk) desired_weight = d.weight;
        j["desired_weight"] = desired_weight;
        const auto* st = index.find(key, dk);
        j["current_weight"] = st ? json(st->dest.weight) : json(nullptr);
        j["admin"] = admin_word(vs.name, dk);
        if (const DrainEntry* d = drains_.state().find(vs.name, dk)) {
          j["drain"] = {{"since", d->since}, {"deadline_s", d->deadline_s}};
          if (d->drained_at) j["drain"]["drained_at"] = *d->drained_at;
          if (!d->drained_note.empty()) j["drain"]["note"] = d->drained_note;
        }
        j["active_conns"] = st ? st->active_conns : 0;
        j["inactive_conns"] = st ? st->inactive_conns : 0;
        j["persistent_conns"] = st ? st->persistent_conns : 0;
        reals.push_back(std::move(j));
      };
      for (const auto& r : vs.reals) add_real(r, "real");
      for (const auto& r : vs.sorry_reals) add_real(r, "sorry");
      services.push_back({{"name", vs.name},
                          {"key", key.to_string()},
                          {"scheduler", vs.scheduler},
                          {"on_failure", model::to_string(vs.on_failure)},
                          {"quorum", vs.quorum},
                          {"healthy", healthy_count(vs, healthy)},
                          {"sorry_active", sorry},
                          {"in_kernel", index.has_service(key)},
                          {"reals", std::move(reals)}});
    }
  }
  doc["services"] = std::move(services);
  return doc;
}

std::string Daemon::status_line() const {
  if (!cluster_) return "no descriptor loaded";
  std::size_t up = 0, down = 0, draining = 0;
  for (const auto& s : slots_) {
    const auto& vs = cluster_->virtual_services[s.service];
    const health::Tracker* t = s.check ? tracker_of(*s.check) : nullptr;
    if (!t || t->health() == health::Health::up) ++up;
    else ++down;
    if (admin_word(vs.name, s.real) == "draining") ++draining;
  }
  std::string line = "cluster " + cluster_->name + ": " + std::to_string(cluster_->virtual_services.size()) +
                     " services, " + std::to_string(up) + " reals up, " + std::to_string(down) + " down";
  if (draining) line += ", " + std::to_string(draining) + " draining";
  if (!descriptor_.ok) line += "; last reload failed";
  return line;
}

}  // namespace lvsd
