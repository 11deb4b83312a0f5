// The status report (`lvsctl status`; its JSON is lib/control's) and systemd's one-line STATUS=.
#include <unistd.h>

#include "daemon/daemon.h"
#include "daemon/overlay_builder.h"
#include "daemon/table_lookup.h"
#include "desired/desired_state.h"

namespace lvsd {

namespace health = lvs::health;
namespace ipvs = lvs::ipvs;
namespace model = lvs::model;

lvs::control::StatusReport Daemon::status() const {
  lvs::control::StatusReport doc;
  doc.daemon = {static_cast<long>(::getpid()), options_.node, options_.netns, options_.state_dir};
  doc.descriptor = {descriptor_.path,      descriptor_.ok,     descriptor_.cluster, descriptor_.loaded_at,
                    descriptor_.last_attempt_at, descriptor_.errors, descriptor_.warnings};
  for (const auto& s : sysctls_) doc.sysctls.push_back({s.name, s.wanted, s.current, s.error});
  const ReconcileReport& last = table_.last_reconcile();
  doc.reconcile = {last.at, last.operations, last.failed, last.errors};
  if (ha_) doc.ha = ha_report(*ha_, deps_.clock.now());
  if (!cluster_) return doc;
  const TableIndex index(table_.observed());
  const auto now = deps_.clock.now();
  auto healthy = [this](const model::VirtualService& vs, const model::Real& r) { return slot_healthy(vs, r); };
  const auto overlay = build_overlay(*cluster_, healthy, drains_.state());
  for (const auto& vs : cluster_->virtual_services) {
    const ipvs::ServiceKey key = lvs::desired::service_key(vs);
    const ipvs::DesiredService want = lvs::desired::desired_service(vs, overlay);
    auto so = overlay.services.find(key);
    lvs::control::ServiceStatus svc;
    svc.name = vs.name;
    svc.key = key.to_string();
    svc.scheduler = vs.scheduler;
    svc.on_failure = model::to_string(vs.on_failure);
    svc.quorum = vs.quorum;
    svc.healthy = healthy_count(vs, healthy);
    svc.sorry_active = so != overlay.services.end() && so->second.use_sorry;
    svc.in_kernel = index.has_service(key);
    auto add_real = [&](const model::Real& r, bool sorry) {
      const ipvs::DestKey dk{r.address, r.port};
      lvs::control::RealStatus j;
      j.real = endpoint(dk);
      j.role = sorry ? "sorry" : "real";
      j.configured_weight = r.weight;
      const Slot* slot = sorry ? nullptr : slot_for(vs.name, dk);
      const health::Tracker* t = slot && slot->check ? tracker_of(*slot->check) : nullptr;
      if (slot && slot->check) {
        j.check = health::describe(slot->check->probe);
        j.health = t ? std::string(health::to_string(t->health())) : "unknown";
      } else {
        j.health = "unchecked";
      }
      if (t && t->last_result()) {
        const auto& lr = *t->last_result();
        j.last_result = lvs::control::LastResult{lr.ok, lr.message, lr.latency.count() / 1000.0,
                                                 std::chrono::duration<double>(now - *t->last_result_at()).count()};
      }
      for (const auto& d : want.destinations)
        if (ipvs::key_of(d) == dk) j.desired_weight = d.weight;
      const auto* st = index.find(key, dk);
      if (st) {
        j.current_weight = st->dest.weight;
        j.active_conns = st->active_conns;
        j.inactive_conns = st->inactive_conns;
        j.persistent_conns = st->persistent_conns;
      }
      j.admin = admin_word(vs.name, dk);
      if (const DrainEntry* d = drains_.state().find(vs.name, dk))
        j.drain = lvs::control::DrainInfo{d->since, d->deadline_s, d->drained_at, d->drained_note};
      svc.reals.push_back(std::move(j));
    };
    for (const auto& r : vs.reals) add_real(r, false);
    for (const auto& r : vs.sorry_reals) add_real(r, true);
    doc.services.push_back(std::move(svc));
  }
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
  if (ha_) {
    const auto st = ha_->status();
    line += "; ha " + std::string(lvs::ha::to_string(st.ha.state)) + (st.ha.held ? " (held)" : "");
  }
  if (!descriptor_.ok) line += "; last reload failed";
  return line;
}

}  // namespace lvsd
