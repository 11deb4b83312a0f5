#include "daemon/table_keeper.h"

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
  observed_ = std::move(*table);
  read_at_ = clock_.now();
  return lvs::ok();
}

void TableKeeper::read_services(const std::set<ipvs::ServiceKey>& keys) {
  for (auto& s : observed_.services) {
    const auto key = ipvs::normalized(s.service.key);
    if (!keys.count(key)) continue;
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
  if (read_at_) options.observed = &observed_;
  options.only = read_at_ ? only : nullptr;
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
    observed_ = std::move(*run->after);
    read_at_ = now;
  } else if (!options.observed) {
    observed_ = std::move(run->observed);
    read_at_ = now;
  }
  if (!run->after) {
    std::vector<ipvs::Operation> applied;
    for (const auto& o : run->outcomes)
      if (o.applied) applied.push_back(o.operation);
    ipvs::apply_to(observed_, applied);
  }
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
