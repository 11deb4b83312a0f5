// The status report (`lvsctl status`; its JSON is lib/control's) and systemd's one-line STATUS=.
#include <unistd.h>

#include <algorithm>
#include <set>

#include "daemon/daemon.h"
#include "daemon/overlay_builder.h"
#include "daemon/table_lookup.h"
#include "desired/desired_state.h"

namespace lvsd {

namespace health = lvs::health;
namespace ipvs = lvs::ipvs;
namespace model = lvs::model;

namespace {

bool service_named(const std::string& name, const std::string& want) {
  return want.empty() || name == want || name.rfind(want + "/", 0) == 0;
}

}  // namespace

bool Daemon::real_down(const model::VirtualService& vs, const model::Real& r) const {
  const Slot* s = slot_for(vs.name, ipvs::DestKey{r.address, r.port});
  const health::Tracker* t = s && s->check ? tracker_of(*s->check) : nullptr;
  return t && t->health() != health::Health::up;
}

bool Daemon::real_admin_out(const model::VirtualService& vs, const model::Real& r) const {
  return drains_.state().find(vs.name, ipvs::DestKey{r.address, r.port}) != nullptr;
}

Daemon::StatusSelection Daemon::select_status(const Request& query) const {
  StatusSelection sel;
  if (!cluster_) return sel;
  const auto& all = cluster_->virtual_services;
  std::optional<RealSelector> real;
  std::optional<lvs::net::IpAddress> address;
  if (!query.real.empty()) {
    auto parsed = parse_real_selector(query.real);  // parse_request checked it: a bad one matches nothing
    real = parsed ? *parsed : RealSelector{};
    if (auto a = lvs::net::IpAddress::parse(real->address_text)) address = *a;
    else address = lvs::net::IpAddress{};
  }
  // A real passes the real-level filters; with none, every real does. Kept in the
  // selection, so it holds copies.
  auto passes = [this, real, address, down = query.down, draining = query.draining](const model::VirtualService& vs,
                                                                                  const model::Real& r) {
    if (address && (r.address != *address || (real->port != 0 && r.port != real->port))) return false;
    if (!down && !draining) return true;
    return (down && real_down(vs, r)) || (draining && real_admin_out(vs, r));
  };
  const bool real_filter = !query.real.empty() || query.down || query.draining;
  if (query.filtered()) {
    sel.shown = "filtered";
  } else if (query.brief_over != 0 && all.size() > query.brief_over) {
    sel.shown = "brief";
  }
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto& vs = all[i];
    if (sel.shown == "all") {
      sel.services.push_back(i);
      continue;
    }
    if (sel.shown == "brief") {
      const bool trouble = std::any_of(vs.reals.begin(), vs.reals.end(), [&](const model::Real& r) {
        return real_down(vs, r) || real_admin_out(vs, r);
      });
      if (trouble) sel.services.push_back(i);
      continue;
    }
    if (!service_named(vs.name, query.service)) continue;
    sel.service_seen = true;
    if (!real_filter) {
      sel.services.push_back(i);
      continue;
    }
    const bool any = std::any_of(vs.reals.begin(), vs.reals.end(), [&](const model::Real& r) { return passes(vs, r); }) ||
                     std::any_of(vs.sorry_reals.begin(), vs.sorry_reals.end(),
                                 [&](const model::Real& r) { return passes(vs, r); });
    if (any) sel.services.push_back(i);
  }
  sel.real_filter = real_filter && sel.shown == "filtered";
  sel.passes = passes;
  return sel;
}

lvs::control::StatusReport Daemon::status(const Request& query) const {
  lvs::control::StatusReport doc;
  doc.daemon = {static_cast<long>(::getpid()), options_.node, options_.netns, options_.state_dir};
  doc.descriptor = {descriptor_.path,      descriptor_.ok,     descriptor_.cluster, descriptor_.loaded_at,
                    descriptor_.last_attempt_at, descriptor_.errors, descriptor_.warnings};
  for (const auto& s : sysctls_) doc.sysctls.push_back({s.name, s.wanted, s.current, s.error});
  const ReconcileReport& last = table_.last_reconcile();
  doc.reconcile = {last.at, last.operations, last.failed, last.errors};
  if (ha_) doc.ha = ha_report(*ha_, deps_.clock.now());
  for (const auto& r : retirements_.list())
    doc.retiring.push_back({r.service.service.key.to_string(), "", r.since, r.deadline_s, r.connections});
  for (const auto& r : retirements_.reals())
    doc.retiring.push_back({r.service.to_string(), endpoint(ipvs::key_of(r.dest)), r.since, r.deadline_s, r.connections});
  if (!cluster_) return doc;
  doc.summary.services = cluster_->virtual_services.size();
  for (const auto& vs : cluster_->virtual_services)
    for (const auto& r : vs.reals) {
      ++doc.summary.reals;
      ++(real_down(vs, r) ? doc.summary.down : doc.summary.up);
      if (real_admin_out(vs, r)) ++doc.summary.draining;
    }
  const StatusSelection sel = select_status(query);
  doc.shown = sel.shown;
  auto find = [&](const ipvs::ServiceKey& key, const ipvs::DestKey& dk) { return table_.find(key, dk); };
  auto in_kernel = [&](const ipvs::ServiceKey& key) { return table_.find(key) != nullptr; };
  const auto now = deps_.clock.now();
  auto healthy = [this](const model::VirtualService& vs, const model::Real& r) { return slot_healthy(vs, r); };
  model::Cluster part;  // the selected services: the overlay is built for them only
  part.virtual_services.reserve(sel.services.size());
  for (auto i : sel.services) part.virtual_services.push_back(cluster_->virtual_services[i]);
  const auto overlay = build_overlay(part, healthy, drains_.state());
  for (const auto& vs : part.virtual_services) {
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
    svc.in_kernel = in_kernel(key);
    auto add_real = [&](const model::Real& r, bool sorry) {
      if (sel.real_filter && !sel.passes(vs, r)) return;
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
      if (const auto* st = find(key, dk)) {
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
  // Up and down walk every (service, real) pair, so they are counted again only after
  // a health edge or new slots; a drain or enable counts its few drain entries.
  if (line_counts_.epoch != health_epoch_) {
    line_counts_ = {health_epoch_, 0, 0};
    for (const auto& s : slots_) {
      const health::Tracker* t = s.check ? tracker_of(*s.check) : nullptr;
      if (!t || t->health() == health::Health::up) ++line_counts_.up;
      else ++line_counts_.down;
    }
  }
  const std::size_t up = line_counts_.up, down = line_counts_.down;
  std::size_t draining = 0;
  std::set<const Slot*> counted;  // of two entries for one pair, the first decides (as word() does)
  for (const auto& d : drains_.state().drains) {
    const Slot* s = slot_for(d.service, d.real);
    if (s && counted.insert(s).second && !d.drained_at) ++draining;
  }
  std::string line = "cluster " + cluster_->name + ": " + std::to_string(cluster_->virtual_services.size()) +
                     " services, " + std::to_string(up) + " reals up, " + std::to_string(down) + " down";
  if (draining) line += ", " + std::to_string(draining) + " draining";
  if (ha_) {
    line += "; ha " + std::string(lvs::ha::to_string(ha_->state())) + (ha_->held() ? " (held)" : "");
  }
  if (!descriptor_.ok) line += "; last reload failed";
  return line;
}

}  // namespace lvsd
