#pragma once
// The daemon's table keeper: the one writer of its IPVS table. Holds the table's
// ownership lock and record, the table as last read and kept up to date from each
// applied operation (so a reconcile reads nothing unless an outcome is in doubt), and
// the last reconcile's report;
// reconciles towards a desired state through lib/ipvs's one reconcile path and retries
// a failed one. The connection timeouts (kept per table, not per service, so not in a
// plan) are written here too.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "daemon/log.h"
#include "health/clock.h"
#include "ipvs/backend.h"
#include "ipvs/ownership.h"
#include "ipvs/reconcile.h"

namespace lvsd {

using WallClock = std::function<std::int64_t()>;  // unix seconds

struct ReconcileReport {
  std::int64_t at = 0;
  std::size_t operations = 0;
  std::size_t failed = 0;
  std::vector<std::string> errors;
};

// Every reconcile since the start, for metrics.
struct ReconcileTotals {
  std::uint64_t runs = 0;
  std::uint64_t failed_runs = 0;  // could not plan (the table unreadable), or an operation failed
  std::uint64_t operations = 0;   // writes sent to the kernel
  std::uint64_t failed_operations = 0;
};

class TableKeeper {
 public:
  TableKeeper(lvs::ipvs::IpvsBackend& backend, const lvs::health::Clock& clock, WallClock wall_clock, Logger& log,
              std::string ownership_file, std::chrono::milliseconds retry_interval);

  // Takes the table's ownership lock (one writer per table: lvsctl apply or a second
  // lvsd would undo our changes) and reads the ownership record. Errors are logged.
  [[nodiscard]] lvs::Status open();
  // Reads the whole table (counters included) into observed().
  [[nodiscard]] lvs::Status read();
  // Reads the reals (counters included) of these services of observed() again: fresh
  // counts for a drain without reading the whole table. Errors are logged.
  void read_services(const std::set<lvs::ipvs::ServiceKey>& keys);

  // Makes the table match `desired`, logging each change; on any failure tries again
  // at retry_at(). Plans from observed() (read first if never read); a failed or
  // unacknowledged operation reads the table back. With `only`, `desired` holds just
  // those services (normalized keys) and nothing else is diffed.
  void reconcile(const lvs::ipvs::DesiredState& desired, const std::set<lvs::ipvs::ServiceKey>* only = nullptr);
  // Writes the connection timeouts that differ from the kernel's (0: leave as is).
  void apply_timeouts(const lvs::ipvs::Timeouts& want);

  const lvs::ipvs::Table& observed() const { return observed_; }
  const lvs::ipvs::Ownership& owned() const { return owned_; }
  // One service or real of observed() by key (compared normalized), in O(log n).
  const lvs::ipvs::ServiceState* find(const lvs::ipvs::ServiceKey& key) const;
  const lvs::ipvs::DestinationState* find(const lvs::ipvs::ServiceKey& key, const lvs::ipvs::DestKey& dest) const;
  const ReconcileReport& last_reconcile() const { return last_; }
  const ReconcileTotals& totals() const { return totals_; }
  std::optional<lvs::health::TimePoint> retry_at() const { return retry_at_; }
  std::optional<lvs::health::TimePoint> read_at() const { return read_at_; }

 private:
  lvs::ipvs::IpvsBackend& backend_;
  const lvs::health::Clock& clock_;
  WallClock wall_clock_;
  Logger& log_;
  std::string ownership_file_;
  std::chrono::milliseconds retry_interval_;

  std::optional<lvs::ipvs::OwnershipLock> lock_;  // held for the keeper's lifetime
  lvs::ipvs::Ownership owned_;
  bool owned_unsaved_ = false;  // the last save failed: tried again at the next reconcile
  // Replaces observed_ and indexes it.
  void set_observed(lvs::ipvs::Table table);
  void reindex();
  // After a targeted reconcile: applies the applied operations to `part` (the copy of
  // its services it planned from) and puts them back into observed_ by position.
  void keep_applied(lvs::ipvs::Table part, const std::vector<lvs::ipvs::Operation>& applied);

  lvs::ipvs::Table observed_;
  std::map<lvs::ipvs::ServiceKey, std::size_t> positions_;  // normalized key -> observed_.services
  std::optional<lvs::health::TimePoint> read_at_;
  ReconcileReport last_;
  ReconcileTotals totals_;
  std::vector<lvs::ipvs::ServiceKey> left_alone_;  // last reported, to log changes only
  std::optional<lvs::health::TimePoint> retry_at_;
};

}  // namespace lvsd
