#include "daemon/daemon.h"

#include <algorithm>

#include "control/events.h"
#include "daemon/overlay_builder.h"
#include "ha/takeover_grace.h"
#include "daemon/table_lookup.h"
#include "desired/desired_state.h"

namespace lvsd {

namespace health = lvs::health;
namespace ipvs = lvs::ipvs;
namespace model = lvs::model;

Daemon::Daemon(DaemonOptions options, DaemonDeps deps)
    : options_(std::move(options)),
      deps_(std::move(deps)),
      health_(deps_.clock, deps_.random, deps_.probe_factory, deps_.log,
              [this](const health::CheckKey& check) {
                ++changes_;
                ++health_epoch_;
                if (const auto* t = health_.tracker(check)) {
                  const auto& last = t->last_result();
                  publish(lvs::control::HealthEvent{deps_.wall_clock(), health::describe(check.probe),
                                                    std::string(health::to_string(t->health())),
                                                    last ? last->message : std::string()});
                }
                auto it = check_services_.find(check);
                if (it == check_services_.end()) mark_all_dirty();
                else
                  for (auto i : it->second) mark_dirty(i);
              }),
      table_(deps_.backend, deps_.clock, deps_.wall_clock, deps_.log,
             ipvs::ownership_path(options_.state_dir, options_.netns), options_.retry_interval),
      drains_(admin_state_path(options_.state_dir, options_.netns), deps_.log),
      retirements_(deps_.log) {
  descriptor_.path = options_.config_path;
  health_.observe_results([this](const health::CheckKey& k, const health::ProbeResult& r) { counters_.record(k, r); });
}

Daemon::~Daemon() = default;

// ------------------------------------------------------------------ descriptor

void Daemon::load_failed(const model::LoadResult& result, const std::vector<std::string>& extra) {
  ++changes_;
  ++counters_.loads_failed;
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
  ++counters_.loads_ok;
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

void Daemon::bind_checks(const std::vector<Slot>& slots) {
  // A real the kernel is serving was found healthy by whoever set it up (the lvsd
  // before a restart): its new check starts up, so a restart does not flap weights.
  std::vector<CheckBinding> bindings;
  bindings.reserve(slots.size());
  for (const auto& s : slots) {
    if (!s.check) continue;
    const auto& vs = cluster_->virtual_services[s.service];
    bool serving = false;
    if (!health_.bound(*s.check)) {
      const auto key = lvs::desired::service_key(vs);
      const auto* d = table_.find(key, s.real);
      serving = d && (d->dest.weight > 0 || retirements_.was_serving(key, s.real));
    }
    bindings.push_back(CheckBinding{*s.check, vs.name, serving});
  }
  // One check may serve several slots: it starts up when any of them serves.
  std::unordered_map<health::CheckKey, bool, health::CheckKeyHash> any;
  for (const auto& b : bindings) any[b.check] = any[b.check] || b.serving;
  for (auto& b : bindings) b.serving = any[b.check];
  health_.bind(bindings);
  ++health_epoch_;
}

std::optional<StartFailure> Daemon::start() {
  auto result = deps_.loader(options_.config_path);
  if (!result.ok()) {
    load_failed(result, {});
    return StartFailure::invalid_descriptor;
  }
  if (!table_.open()) return StartFailure::environment;
  if (auto admin = drains_.load(); !admin) {
    // Refusing is safer than forgetting drains and putting drained reals back in.
    deps_.log.error("state: " + admin.error().describe());
    return StartFailure::environment;
  }
  if (auto read = table_.read(); !read) {
    deps_.log.error("ipvs: cannot read the table: " + read.error().describe());
    return StartFailure::environment;
  }
  model::Cluster cluster = *result.cluster;
  if (cluster.virtual_services.empty()) cluster.virtual_services = model::expand(cluster);
  cluster_ = cluster;
  auto slots = build_slots(*cluster_);
  if (!slots) {
    cluster_.reset();
    load_failed(result, {slots.error().describe()});
    return StartFailure::invalid_descriptor;
  }
  // Before the first reconcile (the fwmark services would get nothing without their
  // marks) and before HA takes any VIP.
  if (auto marked = sync_marks(lvs::desired::mark_rules(*cluster_)); !marked) {
    deps_.log.error("marks: " + marked.error().describe());
    cluster_.reset();
    return StartFailure::environment;
  }
  loaded(result);
  if (!options_.node.empty() && !cluster_->nodes.empty()) {
    auto node = model::find_local_node(*cluster_, options_.node, {});
    if (!node) deps_.log.warning("descriptor: --node: " + node.error().describe());
  }
  set_slots(std::move(*slots));
  bind_checks(slots_);
  deps_.log.notice("descriptor: loaded " + options_.config_path + " (cluster " + cluster_->name + ", " +
                   std::to_string(cluster_->virtual_services.size()) + " services, " +
                   std::to_string(health_.check_count()) + " checks)");
  if (!drains_.state().drains.empty())
    deps_.log.info("admin: " + std::to_string(drains_.state().drains.size()) + " drained real(s) restored from " +
                   drains_.file());
  if (deps_.make_ha) {
    // Before the first write: VIPs a crashed lvsd left here go first, and the node
    // starts as a standby (the table is programmed on both nodes, so it is warm).
    auto ha = deps_.make_ha(*cluster_);
    if (!ha) {
      deps_.log.error("ha: " + ha.error().describe());
      return StartFailure::environment;
    }
    ha_ = std::move(*ha);
    if (ha_) {
      ha_->set_observer([this](lvs::ha::State from, lvs::ha::State to, const std::string& why) {
        // Called from inside the turn that changed state, after its entry actions.
        const auto st = ha_->node_status();
        std::uint64_t dropped = 0;
        for (auto n : st.counters.dropped) dropped += n;
        publish(lvs::control::HaEvent{deps_.wall_clock(), ha_->settings().self.name,
                                      std::string(lvs::ha::to_string(from)), std::string(lvs::ha::to_string(to)), why,
                                      st.vips_held.size(), st.counters.received, dropped});
      });
      if (auto s = ha_->start(deps_.clock.now()); !s) {
        deps_.log.error("ha: cannot start: " + s.error().describe());
        return StartFailure::environment;
      }
    }
  }
  apply_kernel_settings();
  next_full_read_ = deps_.clock.now() + options_.counts_interval;
  // Owned services not in the descriptor (a restart while they retired, or a descriptor
  // edited while lvsd was stopped) retire the same way.
  follow_retirements();
  mark_all_dirty();
  reconcile_now();
  return std::nullopt;
}

void Daemon::shutdown() {
  if (ha_) ha_->shutdown();
}

void Daemon::report_table_to_ha() {
  if (!ha_) return;
  // Only a table that cannot be programmed at all: a partial failure is logged and
  // retried, and moving the VIPs would not help a descriptor both nodes share.
  const auto& r = table_.last_reconcile();
  const bool nothing_written = r.operations > 0 && r.failed == r.operations;
  const bool unreadable = r.operations == 0 && !r.errors.empty();
  ha_->table_fault(deps_.clock.now(), nothing_written || unreadable, r.errors.empty() ? "" : r.errors.front());
}

ReloadOutcome Daemon::reload() {
  deps_.log.notice("descriptor: reloading " + options_.config_path);
  auto result = deps_.loader(options_.config_path);
  auto refuse = [&](const std::vector<std::string>& extra) {
    load_failed(result, extra);
    deps_.log.error("descriptor: invalid, still running the one loaded before");
    ReloadOutcome out;
    out.error = "descriptor invalid, still running the previous one";
    out.errors = descriptor_.errors;
    return out;
  };
  // Valid, but the host could not take it (what): the old descriptor keeps running.
  auto keep_old = [&](const std::string& why, const std::string& what) {
    load_failed(result, {why});
    deps_.log.error("descriptor: not reloaded, still running the one loaded before");
    ReloadOutcome out;
    out.error = what + ", still running the previous descriptor";
    out.errors = {why};
    return out;
  };
  if (!result.ok()) return refuse({});
  // The HA part applies what it can live (VIPs, priorities, timers); its socket's router
  // (VRID, interface, peers, authentication type, the node set) needs a restart.
  std::optional<lvs::ha::HaSettings> ha_next;
  if (ha_ && (result.cluster->ha != cluster_->ha || result.cluster->nodes != cluster_->nodes ||
              result.cluster->ha->authentication.type == model::AuthType::hmac_sha256)) {
    auto next = ha_->prepare(*result.cluster, deps_.clock.now());
    if (!next) return refuse({"ha: " + next.error().message});
    ha_next = std::move(*next);
  }
  if (!ha_ && deps_.make_ha && result.cluster->ha)
    return refuse({"an ha section was added: restart lvsd to start HA"});
  model::Cluster cluster = *result.cluster;
  if (cluster.virtual_services.empty()) cluster.virtual_services = model::expand(cluster);
  auto slots = build_slots(cluster);
  if (!slots) return refuse({slots.error().describe()});
  if (auto read = table_.read(); !read) {
    // Without the table, checks of serving reals cannot start up and the plan would be
    // guessed: keep running what runs and say so.
    return keep_old("cannot read the IPVS table: " + read.error().describe(), "cannot read the IPVS table");
  }
  // Before the reconcile: marks without their fwmark service yet are harmless (IPVS
  // falls back to the address:port service), a fwmark service without marks gets nothing.
  // nft's transaction is atomic: a failure leaves the old marks, and the old descriptor runs.
  if (auto marked = sync_marks(lvs::desired::mark_rules(cluster)); !marked)
    return keep_old("marks: " + marked.error().describe(), "cannot install the firewall marks");
  cluster_ = std::move(cluster);
  bind_checks(*slots);
  set_slots(std::move(*slots));
  loaded(result);
  // Drains of reals the descriptor no longer has would never finish: forget them.
  if (drains_.forget_unless([this](const DrainEntry& d) { return slot_for(d.service, d.real) != nullptr; }))
    ++changes_;
  if (deps_.on_reload) deps_.on_reload();
  apply_kernel_settings();
  follow_retirements();
  mark_all_dirty();
  reconcile_now();
  // After the table: a new VIP answers only once its service is programmed.
  if (ha_next) {
    ha_->apply(std::move(*ha_next), deps_.clock.now());
    ++changes_;
  }
  if (ha_) ha_->set_grace_rules(lvs::ha::grace_rules(*cluster_));
  deps_.log.notice("descriptor: reloaded (cluster " + cluster_->name + ", " +
                   std::to_string(cluster_->virtual_services.size()) + " services, " +
                   std::to_string(health_.check_count()) + " checks)");
  ReloadOutcome out;
  out.ok = true;
  out.operations = table_.last_reconcile().operations;
  out.failed = table_.last_reconcile().failed;
  out.errors = table_.last_reconcile().errors;
  out.warnings = descriptor_.warnings;
  return out;
}

// ------------------------------------------------------------------ kernel

void Daemon::apply_kernel_settings() {
  sysctls_ = apply_sysctls(deps_.sysctls, wanted_sysctls(cluster_->ipvs));
  for (const auto& s : sysctls_) {
    if (!s.error.empty()) deps_.log.warning("sysctl: net.ipv4.vs." + s.name + ": " + s.error);
    else if (s.written) deps_.log.notice("sysctl: net.ipv4.vs." + s.name + " set to " + std::to_string(s.wanted));
  }
  const auto& st = cluster_->ipvs;
  table_.apply_timeouts(ipvs::Timeouts{st.tcp_timeout_s, st.tcp_fin_timeout_s, st.udp_timeout_s});
}

lvs::Status Daemon::sync_marks(const lvs::desired::MarkRules& rules) {
  if (!deps_.marks || marks_ == rules) return lvs::ok();
  if (rules.empty()) {
    const bool installed_here = marks_ && !marks_->empty();
    if (auto removed = deps_.marks->remove(); !removed) {
      if (installed_here) return removed;
      // A table an earlier lvsd left cannot be removed (e.g. no nftables here): that
      // does not stop a descriptor that marks nothing.
      deps_.log.warning("marks: " + removed.error().describe());
      return lvs::ok();
    }
    if (installed_here) deps_.log.notice(std::string("marks: table ") + lvs::desired::kMarkTable + " removed");
    marks_ = rules;
    return lvs::ok();
  }
  if (auto installed = deps_.marks->install(rules); !installed) return installed;
  deps_.log.notice(std::string("marks: table ") + lvs::desired::kMarkTable + " holds " +
                   std::to_string(rules.rules.size()) + " marked service(s), " + std::to_string(rules.port_count()) +
                   " port(s)");
  marks_ = rules;
  return lvs::ok();
}

bool Daemon::slot_healthy(const model::VirtualService& vs, const model::Real& r) const {
  const Slot* s = slot_for(vs.name, ipvs::DestKey{r.address, r.port});
  if (!s || !s->check) return true;
  const health::Tracker* t = tracker_of(*s->check);
  return t == nullptr || t->health() == health::Health::up;
}

void Daemon::mark_dirty(std::size_t service) {
  dirty_ = true;
  dirty_services_.insert(service);
}

void Daemon::mark_all_dirty() {
  dirty_ = true;
  dirty_all_ = true;
}

void Daemon::follow_retirements() {
  WantedServices wanted;
  for (const auto& vs : cluster_->virtual_services) {
    auto& reals = wanted[ipvs::normalized(lvs::desired::service_key(vs))];
    for (const auto* list : {&vs.reals, &vs.sorry_reals})
      for (const auto& r : *list) reals.insert(ipvs::key_of(lvs::desired::to_destination(vs, r)));
  }
  if (retirements_.follow(table_.observed(), table_.owned(), wanted, deps_.wall_clock(), options_.retire_deadline_s))
    ++changes_;
}

// A health edge or a drain plans only the services it changed, from the table as kept
// (no read); start, reload, a retry and the periodic refresh plan the whole table.
void Daemon::reconcile_now() {
  if (!cluster_) return;
  const bool whole = dirty_all_ || dirty_services_.empty() || table_.retry_at().has_value();
  std::set<std::size_t> services;
  services.swap(dirty_services_);
  dirty_ = dirty_all_ = false;
  auto healthy = [this](const model::VirtualService& vs, const model::Real& r) { return slot_healthy(vs, r); };
  if (whole) {
    auto desired = lvs::desired::desired_from_model(*cluster_, build_overlay(*cluster_, healthy, drains_.state()));
    retirements_.add_services_to(desired);
    retirements_.add_reals_to(desired);
    table_.reconcile(desired);
  } else {
    model::Cluster part;  // just those services: build_overlay and desired_from_model read no more
    part.name = cluster_->name;
    std::set<ipvs::ServiceKey> keys;
    for (auto i : services) {
      if (i >= cluster_->virtual_services.size()) continue;
      part.virtual_services.push_back(cluster_->virtual_services[i]);
      keys.insert(lvs::desired::service_key(cluster_->virtual_services[i]));
    }
    auto desired = lvs::desired::desired_from_model(part, build_overlay(part, healthy, drains_.state()));
    retirements_.add_reals_to(desired);
    table_.reconcile(desired, &keys);
    // A drain is judged by counts read after its weight 0 reached the kernel.
    std::set<ipvs::ServiceKey> draining;
    for (const auto& vs : part.virtual_services)
      for (const auto& r : vs.reals)
        if (drains_.word(vs.name, ipvs::DestKey{r.address, r.port}) == "draining")
          draining.insert(lvs::desired::service_key(vs));
    if (!draining.empty()) table_.read_services(draining);
  }
  after_table_read(whole);  // whole: start and reload read the table just before
  report_table_to_ha();
}

bool Daemon::refresh_table() {
  auto read = table_.read();
  if (!read) deps_.log.warning("ipvs: cannot read counters: " + read.error().describe());
  after_table_read();
  return static_cast<bool>(read);
}

// Counters are read every few seconds while something drains, rarely otherwise. A
// reconcile that read nothing only brings the next read forward (a drain began): were it
// to push it back, steady health edges would keep the periodic read from ever coming.
void Daemon::after_table_read(bool read) {
  const auto now = deps_.clock.now();
  const bool following = drains_.any_draining() || !retirements_.empty();
  const auto next = now + (following ? options_.counts_interval_draining : options_.counts_interval);
  if (read || next < next_counts_) next_counts_ = next;
  if (!cluster_) return;
  const bool changed = drains_.update(deps_.wall_clock(), [this](const DrainEntry& d) -> std::optional<std::uint64_t> {
    const Slot* s = slot_for(d.service, d.real);
    if (!s) return std::nullopt;
    const auto& vs = cluster_->virtual_services[s->service];
    const auto* st = table_.find(lvs::desired::service_key(vs), d.real);
    if (st && st->dest.weight != 0) return std::nullopt;  // the weight 0 has not reached the kernel yet
    return st ? std::uint64_t{st->active_conns} + st->inactive_conns + st->persistent_conns : 0;
  });
  if (changed) ++changes_;
  const bool retired = retirements_.update(deps_.wall_clock(), [this](const Retiring& r) -> std::optional<std::uint64_t> {
    const auto* st = table_.find(r.service.service.key);
    if (!st) return 0;  // gone already
    for (const auto& d : st->destinations)
      if (d.dest.weight != 0) return std::nullopt;  // the weights 0 have not reached the kernel yet
    return connections_of(*st);
  }, [this](const RetiringReal& r) -> std::optional<std::uint64_t> {
    const auto* d = table_.find(r.service, ipvs::key_of(r.dest));
    if (!d) return 0;  // gone already
    if (d->dest.weight != 0) return std::nullopt;
    return connections_of(*d);
  });
  if (retired) {
    ++changes_;
    mark_all_dirty();  // the whole reconcile deletes what is no longer desired
  }
}

// ------------------------------------------------------------------ loop

void Daemon::poll() {
  health_.poll();
  const auto now = deps_.clock.now();
  if (ha_) {
    ha_->readable(now);
    ha_->timers(now);
  }
  const auto retry = table_.retry_at();
  if (dirty_ || (retry && now >= *retry)) {
    reconcile_now();
  } else if (now >= next_counts_) {
    if (now < next_full_read_ && (drains_.any_draining() || !retirements_.empty())) {
      // A drain's (or a retiring service's) counts every few seconds: its services' reals only.
      std::set<ipvs::ServiceKey> keys = retirements_.keys();
      for (const auto& d : drains_.state().drains)
        if (const Slot* s = slot_for(d.service, d.real); s && !d.drained_at)
          keys.insert(lvs::desired::service_key(cluster_->virtual_services[s->service]));
      table_.read_services(keys);
      after_table_read();
    } else if (refresh_table()) {
      // The periodic full read and diff: the kept table is checked against the kernel's.
      next_full_read_ = now + options_.counts_interval;
      mark_all_dirty();
      reconcile_now();
    }
  }
}

std::optional<health::TimePoint> Daemon::next_wakeup() const {
  std::optional<health::TimePoint> t = next_counts_;
  auto earlier = [&t](std::optional<health::TimePoint> x) {
    if (x && (!t || *x < *t)) t = x;
  };
  earlier(health_.next_wakeup());
  earlier(table_.retry_at());
  if (ha_) earlier(ha_->next_deadline());
  if (dirty_) earlier(deps_.clock.now());
  return t;
}

const health::Tracker* Daemon::tracker_of(const health::CheckKey& identity) const { return health_.tracker(identity); }

void Daemon::set_slots(std::vector<Slot> slots) {
  ++health_epoch_;
  slots_ = std::move(slots);
  slot_index_.clear();
  check_services_.clear();
  services_by_name_.clear();
  const auto& services = cluster_->virtual_services;
  for (std::size_t i = 0; i < services.size(); ++i) services_by_name_.emplace(services[i].name, i);
  // build_slots() lists each service's reals together, in service order.
  first_slot_.assign(services.size() + 1, slots_.size());
  for (std::size_t i = slots_.size(); i-- > 0;) first_slot_[slots_[i].service] = i;
  for (std::size_t i = services.size(); i-- > 0;) first_slot_[i] = std::min(first_slot_[i], first_slot_[i + 1]);
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    slot_index_.emplace(std::make_pair(cluster_->virtual_services[slots_[i].service].name, slots_[i].real), i);
    if (slots_[i].check) {
      auto& services = check_services_[*slots_[i].check];
      if (services.empty() || services.back() != slots_[i].service) services.push_back(slots_[i].service);
    }
  }
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
