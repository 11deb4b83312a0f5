#include "daemon/daemon.h"

#include <algorithm>
#include <set>
#include <unordered_set>

#include "daemon/overlay_builder.h"
#include "daemon/table_lookup.h"
#include "desired/desired_state.h"

namespace lvsd {

namespace health = lvs::health;
namespace ipvs = lvs::ipvs;
namespace model = lvs::model;

Daemon::Daemon(DaemonOptions options, DaemonDeps deps)
    : options_(std::move(options)),
      deps_(std::move(deps)),
      runner_(deps_.clock),
      registry_(deps_.clock, deps_.random, runner_, deps_.probe_factory) {
  descriptor_.path = options_.config_path;
  ownership_file_ = ipvs::ownership_path(options_.state_dir, options_.netns);
  admin_file_ = admin_state_path(options_.state_dir, options_.netns);
}

Daemon::~Daemon() {
  for (auto& [identity, sub] : checks_) registry_.unsubscribe(sub.id);
}

// ------------------------------------------------------------------ descriptor

void Daemon::load_failed(const model::LoadResult& result, const std::vector<std::string>& extra) {
  ++changes_;
  descriptor_.ok = false;
  descriptor_.last_attempt_at = deps_.wall_clock();
  descriptor_.errors.clear();
  descriptor_.warnings.clear();
  for (const auto& d : result.diagnostics)
    (d.severity == model::Severity::error ? descriptor_.errors : descriptor_.warnings).push_back(d.to_string());
  for (const auto& e : extra) descriptor_.errors.push_back(e);
  if (descriptor_.errors.empty()) descriptor_.errors.push_back(options_.config_path + ": cannot be loaded");
  for (const auto& e : descriptor_.errors) deps_.log.error("descriptor: " + e);
}

void Daemon::loaded(const model::LoadResult& result) {
  ++changes_;
  descriptor_.ok = true;
  descriptor_.cluster = result.cluster->name;
  descriptor_.loaded_at = descriptor_.last_attempt_at = deps_.wall_clock();
  descriptor_.errors.clear();
  descriptor_.warnings.clear();
  for (const auto& d : result.diagnostics) {
    descriptor_.warnings.push_back(d.to_string());
    deps_.log.warning("descriptor: " + d.to_string());
  }
}

lvs::Result<std::vector<Daemon::Slot>> Daemon::build_slots(const model::Cluster& cluster) const {
  std::vector<Slot> slots;
  for (std::size_t i = 0; i < cluster.virtual_services.size(); ++i) {
    const auto& vs = cluster.virtual_services[i];
    for (const auto& r : vs.reals) {
      auto key = check_key_for(vs, r, deps_.check_env);
      if (!key) return key.error();
      slots.push_back(Slot{i, ipvs::DestKey{r.address, r.port}, *key});
    }
  }
  return slots;
}

void Daemon::resubscribe(const std::vector<Slot>& slots, const ipvs::Table& table) {
  // A real the kernel is serving was found healthy by whoever set it up (the lvsd
  // before a restart): its new check starts up, so a restart does not flap weights.
  const TableIndex index(table);
  std::unordered_set<health::CheckKey, health::CheckKeyHash> serving;
  for (const auto& s : slots) {
    if (!s.check || checks_.count(*s.check)) continue;
    const auto* d = index.find(lvs::desired::service_key(cluster_->virtual_services[s.service]), s.real);
    if (d && d->dest.weight > 0) serving.insert(*s.check);
  }
  CheckMap next;
  for (const auto& s : slots) {
    if (!s.check || next.count(*s.check)) continue;
    if (auto it = checks_.find(*s.check); it != checks_.end()) {
      next.emplace(*s.check, it->second);  // unchanged check: keeps its tracker and state
      continue;
    }
    const bool up = serving.count(*s.check) != 0;
    health::CheckKey key = up ? starting_up(*s.check) : *s.check;
    health::CheckKey identity = *s.check;
    auto id = registry_.subscribe(
        key, [this, identity](const health::CheckKey&, const health::HealthEdge& e) { on_edge(identity, e); });
    next.emplace(identity, Subscribed{key, id, {}});
    deps_.log.debug("health: watching " + health::describe(key.probe) + (up ? " (serving: starts up)" : ""));
  }
  for (auto& [identity, sub] : checks_)
    if (!next.count(identity)) registry_.unsubscribe(sub.id);
  // Named once here, so a health edge costs no walk over every real.
  for (auto& [identity, sub] : next) sub.services.clear();
  for (const auto& s : slots) {
    if (!s.check) continue;
    auto& names = next.at(*s.check).services;
    if (!names.empty()) names += ", ";
    names += cluster_->virtual_services[s.service].name;
  }
  checks_ = std::move(next);
}

std::optional<StartFailure> Daemon::start() {
  auto result = deps_.loader(options_.config_path);
  if (!result.ok()) {
    load_failed(result, {});
    return StartFailure::invalid_descriptor;
  }
  // One writer per IPVS table: lvsctl apply (or a second lvsd) would undo our changes.
  auto lock = ipvs::OwnershipLock::try_acquire(ownership_file_);
  if (!lock) {
    deps_.log.error("state: another lvsd or lvsctl apply is writing this IPVS table: " + lock.error().describe());
    return StartFailure::environment;
  }
  lock_.emplace(std::move(*lock));
  auto owned = ipvs::load_ownership(ownership_file_);
  if (!owned) {
    deps_.log.error("state: " + owned.error().describe());
    return StartFailure::environment;
  }
  owned_ = *owned;
  auto admin = load_admin_state(admin_file_);
  if (!admin) {
    // Refusing is safer than forgetting drains and putting drained reals back in.
    deps_.log.error("state: " + admin.error().describe());
    return StartFailure::environment;
  }
  admin_ = *admin;
  auto table = deps_.backend.read_table();
  if (!table) {
    deps_.log.error("ipvs: cannot read the table: " + table.error().describe());
    return StartFailure::environment;
  }
  observed_ = *table;
  model::Cluster cluster = *result.cluster;
  if (cluster.virtual_services.empty()) cluster.virtual_services = model::expand(cluster);
  cluster_ = cluster;
  auto slots = build_slots(*cluster_);
  if (!slots) {
    cluster_.reset();
    load_failed(result, {slots.error().describe()});
    return StartFailure::invalid_descriptor;
  }
  loaded(result);
  if (!options_.node.empty() && !cluster_->nodes.empty()) {
    auto node = model::find_local_node(*cluster_, options_.node, {});
    if (!node) deps_.log.warning("descriptor: --node: " + node.error().describe());
  }
  set_slots(std::move(*slots));
  resubscribe(slots_, observed_);
  deps_.log.notice("descriptor: loaded " + options_.config_path + " (cluster " + cluster_->name + ", " +
                   std::to_string(cluster_->virtual_services.size()) + " services, " +
                   std::to_string(registry_.check_count()) + " checks)");
  if (!admin_.drains.empty())
    deps_.log.info("admin: " + std::to_string(admin_.drains.size()) + " drained real(s) restored from " + admin_file_);
  apply_kernel_settings();
  dirty_ = true;
  reconcile_now();
  return std::nullopt;
}

nlohmann::json Daemon::reload() {
  deps_.log.notice("descriptor: reloading " + options_.config_path);
  auto result = deps_.loader(options_.config_path);
  auto refuse = [&](const std::vector<std::string>& extra) {
    load_failed(result, extra);
    deps_.log.error("descriptor: invalid, still running the one loaded before");
    nlohmann::json errors = descriptor_.errors;
    return nlohmann::json{{"ok", false},
                          {"error", "descriptor invalid, still running the previous one"},
                          {"errors", errors}};
  };
  if (!result.ok()) return refuse({});
  model::Cluster cluster = *result.cluster;
  if (cluster.virtual_services.empty()) cluster.virtual_services = model::expand(cluster);
  auto slots = build_slots(cluster);
  if (!slots) return refuse({slots.error().describe()});
  auto table = deps_.backend.read_table();
  if (!table) {
    // Without the table, checks of serving reals cannot start up and the plan would be
    // guessed: keep running what runs and say so.
    const std::string why = "cannot read the IPVS table: " + table.error().describe();
    load_failed(result, {why});
    deps_.log.error("descriptor: not reloaded, still running the one loaded before");
    return nlohmann::json{{"ok", false},
                          {"error", "cannot read the IPVS table, still running the previous descriptor"},
                          {"errors", nlohmann::json::array({why})}};
  }
  observed_ = std::move(*table);
  cluster_ = std::move(cluster);
  resubscribe(*slots, observed_);
  set_slots(std::move(*slots));
  loaded(result);
  // Drains of reals the descriptor no longer has would never finish: forget them.
  std::size_t before = admin_.drains.size();
  std::erase_if(admin_.drains, [&](const DrainEntry& d) { return slot_for(d.service, d.real) == nullptr; });
  if (admin_.drains.size() != before) save_admin();
  if (deps_.on_reload) deps_.on_reload();
  apply_kernel_settings();
  dirty_ = true;
  reconcile_now();
  deps_.log.notice("descriptor: reloaded (cluster " + cluster_->name + ", " +
                   std::to_string(cluster_->virtual_services.size()) + " services, " +
                   std::to_string(registry_.check_count()) + " checks)");
  return nlohmann::json{{"ok", true},
                        {"operations", last_reconcile_.operations},
                        {"failed", last_reconcile_.failed},
                        {"errors", last_reconcile_.errors},
                        {"warnings", descriptor_.warnings}};
}

// ------------------------------------------------------------------ kernel

void Daemon::apply_kernel_settings() {
  sysctls_ = apply_sysctls(deps_.sysctls, wanted_sysctls(cluster_->ipvs));
  for (const auto& s : sysctls_) {
    if (!s.error.empty()) deps_.log.warning("sysctl: net.ipv4.vs." + s.name + ": " + s.error);
    else if (s.written) deps_.log.notice("sysctl: net.ipv4.vs." + s.name + " set to " + std::to_string(s.wanted));
  }
  const auto& st = cluster_->ipvs;
  if (st.tcp_timeout_s || st.tcp_fin_timeout_s || st.udp_timeout_s) {
    auto cur = deps_.backend.timeouts();
    if (!cur) {
      deps_.log.warning("ipvs: cannot read timeouts: " + cur.error().describe());
      return;
    }
    ipvs::Timeouts want{st.tcp_timeout_s, st.tcp_fin_timeout_s, st.udp_timeout_s};
    bool differs = (want.tcp_s && want.tcp_s != cur->tcp_s) || (want.tcp_fin_s && want.tcp_fin_s != cur->tcp_fin_s) ||
                   (want.udp_s && want.udp_s != cur->udp_s);
    if (!differs) return;
    auto set = deps_.backend.set_timeouts(want);
    if (!set) deps_.log.error("ipvs: cannot set timeouts: " + set.error().describe());
    else deps_.log.notice("ipvs: timeouts set (tcp " + std::to_string(want.tcp_s) + " s, tcpfin " +
                          std::to_string(want.tcp_fin_s) + " s, udp " + std::to_string(want.udp_s) + " s; 0 = unchanged)");
  }
}

bool Daemon::slot_healthy(const model::VirtualService& vs, const model::Real& r) const {
  const Slot* s = slot_for(vs.name, ipvs::DestKey{r.address, r.port});
  if (!s || !s->check) return true;
  const health::Tracker* t = tracker_of(*s->check);
  return t == nullptr || t->health() == health::Health::up;
}

void Daemon::reconcile_now() {
  if (!cluster_) return;
  const auto now = deps_.clock.now();
  auto overlay = build_overlay(
      *cluster_, [this](const model::VirtualService& vs, const model::Real& r) { return slot_healthy(vs, r); },
      admin_);
  auto desired = lvs::desired::desired_from_model(*cluster_, overlay);
  dirty_ = false;
  if (ownership_unsaved_) {
    auto saved = ipvs::save_ownership(ownership_file_, owned_);
    if (saved) ownership_unsaved_ = false;
    else deps_.log.error("state: ownership record still not saved: " + saved.error().describe());
  }
  ipvs::ReconcileOptions options;
  options.read_back = true;  // observed_ is the table after the changes
  options.save = [this](const ipvs::Ownership& owned) { return ipvs::save_ownership(ownership_file_, owned); };
  auto run = ipvs::reconcile(deps_.backend, desired, owned_, options);
  if (!run) {
    deps_.log.error("ipvs: " + run.error().describe());
    retry_at_ = now + options_.retry_interval;
    return;
  }
  const ipvs::Plan& plan = run->plan;
  if (plan.left_alone != left_alone_) {
    left_alone_ = plan.left_alone;
    std::string keys;
    for (const auto& k : left_alone_) keys += (keys.empty() ? "" : ", ") + k.to_string();
    if (!keys.empty()) deps_.log.info("ipvs: not in the descriptor and not ours, left alone: " + keys);
  }
  ReconcileReport report;
  report.at = deps_.wall_clock();
  report.operations = plan.operations.size();
  for (const auto& o : run->outcomes) {
    if (o.applied) {
      deps_.log.notice("ipvs: " + ipvs::describe(o.operation) +
                       (o.read_back ? " (its acknowledgement was lost; the table shows it applied)" : ""));
    } else {
      report.errors.push_back(o.error->describe());
      deps_.log.error("ipvs: " + o.error->describe());
    }
  }
  report.failed = run->failed();
  if (run->read_back_error) deps_.log.warning("ipvs: cannot read the table back: " + run->read_back_error->describe());
  if (run->save_error) {
    ownership_unsaved_ = true;
    deps_.log.error("state: ownership record not saved: " + run->save_error->describe());
  }
  retry_at_.reset();
  if (!run->ok()) retry_at_ = now + options_.retry_interval;
  ipvs::Table table = run->after ? std::move(*run->after) : std::move(run->observed);
  last_reconcile_ = report;
  observed_ = std::move(table);
  counts_read_at_ = now;
  next_counts_ = now + (admin_.drains.empty() ? options_.counts_interval : options_.counts_interval_draining);
  update_drains();
}

void Daemon::refresh_table() {
  const auto now = deps_.clock.now();
  auto table = deps_.backend.read_table();
  if (table) {
    observed_ = std::move(*table);
    counts_read_at_ = now;
  } else {
    deps_.log.warning("ipvs: cannot read counters: " + table.error().describe());
  }
  bool draining = std::any_of(admin_.drains.begin(), admin_.drains.end(), [](const DrainEntry& d) { return !d.drained_at; });
  next_counts_ = now + (draining ? options_.counts_interval_draining : options_.counts_interval);
  update_drains();
}

void Daemon::update_drains() {
  if (!cluster_) return;
  const std::int64_t now = deps_.wall_clock();
  bool changed = false;
  for (auto& d : admin_.drains) {
    if (d.drained_at) continue;
    const Slot* s = slot_for(d.service, d.real);
    if (!s) continue;
    const auto& vs = cluster_->virtual_services[s->service];
    const auto* st = find_dest(observed_, lvs::desired::service_key(vs), d.real);
    if (st && st->dest.weight != 0) continue;  // the weight 0 has not reached the kernel yet
    const std::uint64_t left = st ? std::uint64_t{st->active_conns} + st->inactive_conns + st->persistent_conns : 0;
    const std::string who = endpoint(d.real) + " (" + d.service + ")";
    if (left == 0) {
      d.drained_at = now;
      d.drained_note = "no connections left";
      deps_.log.notice("admin: " + who + " drained: no connections left");
      changed = true;
    } else if (d.deadline_s != 0 && now - d.since >= static_cast<std::int64_t>(d.deadline_s)) {
      d.drained_at = now;
      d.drained_note = "deadline passed with " + std::to_string(left) + " connection(s) left";
      deps_.log.warning("admin: " + who + " drained: " + d.drained_note);
      changed = true;
    }
  }
  if (changed) save_admin();
}

void Daemon::save_admin() {
  ++changes_;
  auto saved = save_admin_state(admin_file_, admin_);
  if (!saved) deps_.log.error("state: admin state not saved: " + saved.error().describe());
}

// ------------------------------------------------------------------ loop

void Daemon::poll() {
  registry_due_ = registry_.poll();
  runner_.dispatch(0);
  registry_due_ = registry_.poll();  // results reschedule their checks
  const auto now = deps_.clock.now();
  if (dirty_ || (retry_at_ && now >= *retry_at_)) reconcile_now();
  else if (now >= next_counts_) refresh_table();
}

std::optional<health::TimePoint> Daemon::next_wakeup() const {
  std::optional<health::TimePoint> t = next_counts_;
  auto earlier = [&t](std::optional<health::TimePoint> x) {
    if (x && (!t || *x < *t)) t = x;
  };
  earlier(registry_due_);
  earlier(runner_.next_deadline());
  earlier(retry_at_);
  if (dirty_) earlier(deps_.clock.now());
  return t;
}

void Daemon::on_edge(const health::CheckKey& identity, const health::HealthEdge& edge) {
  ++changes_;
  auto it = checks_.find(identity);
  const std::string services = it == checks_.end() ? std::string() : it->second.services;
  const std::string line = "health: " + health::describe(identity.probe) + " " +
                           std::string(health::to_string(edge.health)) + ": " + edge.cause.message +
                           " (" + services + ")";
  if (edge.health == health::Health::up) deps_.log.notice(line);
  else deps_.log.warning(line);
  dirty_ = true;
}

const health::Tracker* Daemon::tracker_of(const health::CheckKey& identity) const {
  auto it = checks_.find(identity);
  if (it == checks_.end()) return nullptr;
  return registry_.tracker(it->second.key);
}

void Daemon::set_slots(std::vector<Slot> slots) {
  slots_ = std::move(slots);
  slot_index_.clear();
  for (std::size_t i = 0; i < slots_.size(); ++i)
    slot_index_.emplace(std::make_pair(cluster_->virtual_services[slots_[i].service].name, slots_[i].real), i);
}

const Daemon::Slot* Daemon::slot_for(const std::string& service, const ipvs::DestKey& real) const {
  auto it = slot_index_.find(std::make_pair(service, real));
  return it == slot_index_.end() ? nullptr : &slots_[it->second];
}

std::string Daemon::health_of(const std::string& service, const ipvs::DestKey& real) const {
  const Slot* s = slot_for(service, real);
  if (!s) return {};
  if (!s->check) return "unchecked";
  const health::Tracker* t = tracker_of(*s->check);
  if (!t) return {};
  return std::string(health::to_string(t->health()));
}

}  // namespace lvsd
