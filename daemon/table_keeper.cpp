#include "daemon/table_keeper.h"

#include <algorithm>
#include <variant>

#include "ipvs/reconcile_run.h"

namespace lvsd {

namespace ipvs = lvs::ipvs;

TableKeeper::TableKeeper(ipvs::IpvsBackend& backend, const lvs::health::Clock& clock, WallClock wall_clock,
                         Logger& log, std::string ownership_file, std::chrono::milliseconds retry_interval)
    : backend_(backend),
      clock_(clock),
      wall_clock_(std::move(wall_clock)),
      log_(log),
      ownership_file_(std::move(ownership_file)),
      retry_interval_(retry_interval) {}

lvs::Status TableKeeper::open() {
  auto lock = ipvs::OwnershipLock::try_acquire(ownership_file_);
  if (!lock) {
    log_.error("state: another lvsd or lvsctl apply is writing this IPVS table: " + lock.error().describe());
    return lock.error();
  }
  lock_.emplace(std::move(*lock));
  auto owned = ipvs::load_ownership(ownership_file_);
  if (!owned) {
    log_.error("state: " + owned.error().describe());
    return owned.error();
  }
  owned_ = std::move(*owned);
  return lvs::ok();
}

lvs::Status TableKeeper::read() {
  auto table = backend_.read_table();
  if (!table) return table.error();
  set_observed(std::move(*table));
  read_at_ = clock_.now();
  return lvs::ok();
}

void TableKeeper::set_observed(ipvs::Table table) {
  observed_ = std::move(table);
  reindex();
}

void TableKeeper::reindex() {
  positions_.clear();
  for (std::size_t i = 0; i < observed_.services.size(); ++i)
    positions_.emplace(ipvs::normalized(observed_.services[i].service.key), i);  // the first of equal keys
}

const ipvs::ServiceState* TableKeeper::find(const ipvs::ServiceKey& key) const {
  auto it = positions_.find(ipvs::normalized(key));
  return it == positions_.end() ? nullptr : &observed_.services[it->second];
}

const ipvs::DestinationState* TableKeeper::find(const ipvs::ServiceKey& key, const ipvs::DestKey& dest) const {
  const ipvs::ServiceState* s = find(key);
  if (!s) return nullptr;
  for (const auto& d : s->destinations)
    if (ipvs::key_of(d.dest) == dest) return &d;
  return nullptr;
}

void TableKeeper::read_services(const std::set<ipvs::ServiceKey>& keys) {
  for (const auto& k : keys) {
    auto pos = positions_.find(ipvs::normalized(k));
    if (pos == positions_.end()) continue;
    auto& s = observed_.services[pos->second];
    const auto key = pos->first;
    auto dests = backend_.list_destinations(s.service.key);
    if (!dests) {
      log_.warning("ipvs: cannot read the reals of " + key.to_string() + ": " + dests.error().describe());
      continue;
    }
    s.destinations = std::move(*dests);
  }
}

void TableKeeper::reconcile(const ipvs::DesiredState& desired, const std::set<ipvs::ServiceKey>* only) {
  const auto now = clock_.now();
  if (owned_unsaved_) {
    auto saved = ipvs::save_ownership(ownership_file_, owned_);
    if (saved) owned_unsaved_ = false;
    else log_.error("state: ownership record still not saved: " + saved.error().describe());
  }
  ipvs::ReconcileOptions options;
  // With `only`: a copy of those services alone (in table order), planned and kept as
  // one; the rest of the table is neither searched nor copied.
  ipvs::Table part;
  const bool targeted = read_at_ && only;
  if (targeted) {
    std::vector<std::size_t> at;
    for (const auto& k : *only)
      if (auto it = positions_.find(ipvs::normalized(k)); it != positions_.end()) at.push_back(it->second);
    std::sort(at.begin(), at.end());
    for (auto i : at) part.services.push_back(observed_.services[i]);
    options.observed = &part;
  } else if (read_at_) {
    options.observed = &observed_;
  }
  options.only = targeted ? only : nullptr;
  options.save = [this](const ipvs::Ownership& owned) { return ipvs::save_ownership(ownership_file_, owned); };
  auto run = ipvs::reconcile(backend_, desired, owned_, options);
  ++totals_.runs;
  if (!run) {
    ++totals_.failed_runs;
    log_.error("ipvs: " + run.error().describe());
    retry_at_ = now + retry_interval_;
    return;
  }
  if (!options.only && run->plan.left_alone != left_alone_) {
    left_alone_ = run->plan.left_alone;
    std::string keys;
    for (const auto& k : left_alone_) keys += (keys.empty() ? "" : ", ") + k.to_string();
    if (!keys.empty()) log_.info("ipvs: not in the descriptor and not ours, left alone: " + keys);
  }
  ReconcileReport report;
  report.at = wall_clock_();
  report.operations = run->plan.operations.size();
  for (const auto& o : run->outcomes) {
    if (o.applied) {
      log_.notice("ipvs: " + ipvs::describe(o.operation) +
                  (o.read_back ? " (its acknowledgement was lost; the table shows it applied)" : ""));
    } else {
      report.errors.push_back(o.error->describe());
      log_.error("ipvs: " + o.error->describe());
    }
  }
  report.failed = run->failed();
  totals_.operations += report.operations;
  totals_.failed_operations += report.failed;
  if (!run->ok()) ++totals_.failed_runs;
  if (run->read_back_error) log_.warning("ipvs: cannot read the table back: " + run->read_back_error->describe());
  if (run->save_error) {
    owned_unsaved_ = true;
    log_.error("state: ownership record not saved: " + run->save_error->describe());
  }
  retry_at_.reset();
  if (!run->ok()) retry_at_ = now + retry_interval_;
  last_ = std::move(report);
  if (run->after) {
    set_observed(std::move(*run->after));
    read_at_ = now;
    return;
  }
  if (!options.observed) {
    set_observed(std::move(run->observed));
    read_at_ = now;
  }
  std::vector<ipvs::Operation> applied;
  for (const auto& o : run->outcomes)
    if (o.applied) applied.push_back(o.operation);
  if (applied.empty()) return;
  if (targeted) {
    keep_applied(part, applied);
    return;
  }
  ipvs::apply_to(observed_, applied);
  const bool moved = std::any_of(applied.begin(), applied.end(), [](const ipvs::Operation& op) {
    return std::holds_alternative<ipvs::AddService>(op) || std::holds_alternative<ipvs::DeleteService>(op);
  });
  if (moved) reindex();
}

void TableKeeper::keep_applied(ipvs::Table part, const std::vector<ipvs::Operation>& applied) {
  std::set<ipvs::ServiceKey> before;
  for (const auto& s : part.services) before.insert(ipvs::normalized(s.service.key));
  ipvs::apply_to(part, applied);
  for (auto& s : part.services) {
    const auto key = ipvs::normalized(s.service.key);
    before.erase(key);
    if (auto it = positions_.find(key); it != positions_.end()) {
      observed_.services[it->second] = std::move(s);
    } else {
      observed_.services.push_back(std::move(s));
      positions_.emplace(key, observed_.services.size() - 1);
    }
  }
  if (before.empty()) return;
  // Services the batch deleted: rare (a targeted reconcile deletes none unless the
  // descriptor and the table disagree), so the whole index is made again.
  std::erase_if(observed_.services,
                [&](const ipvs::ServiceState& s) { return before.count(ipvs::normalized(s.service.key)) != 0; });
  reindex();
}

void TableKeeper::apply_timeouts(const ipvs::Timeouts& want) {
  if (!want.tcp_s && !want.tcp_fin_s && !want.udp_s) return;
  auto cur = backend_.timeouts();
  if (!cur) {
    log_.warning("ipvs: cannot read timeouts: " + cur.error().describe());
    return;
  }
  const bool differs = (want.tcp_s && want.tcp_s != cur->tcp_s) || (want.tcp_fin_s && want.tcp_fin_s != cur->tcp_fin_s) ||
                       (want.udp_s && want.udp_s != cur->udp_s);
  if (!differs) return;
  auto set = backend_.set_timeouts(want);
  if (!set) log_.error("ipvs: cannot set timeouts: " + set.error().describe());
  else log_.notice("ipvs: timeouts set (tcp " + std::to_string(want.tcp_s) + " s, tcpfin " +
                   std::to_string(want.tcp_fin_s) + " s, udp " + std::to_string(want.udp_s) + " s; 0 = unchanged)");
}

}  // namespace lvsd
