#pragma once
// The one reconcile path lvsd and `lvsctl apply` share: read the table, diff, apply the
// plan, and record ownership from what the kernel confirmed. When an outcome is in
// doubt (the kernel's reply was lost, or a service add/delete failed) the table is read
// back and decides: a key whose delete was applied but not acknowledged is forgotten, so
// a service someone else later adds with that key is never deleted as ours.
#include <cstddef>
#include <functional>
#include <optional>
#include <set>
#include <vector>

#include "common/result.h"
#include "ipvs/backend.h"
#include "ipvs/ownership.h"
#include "ipvs/reconcile.h"

namespace lvs::ipvs {

struct OperationOutcome {
  Operation operation;
  bool applied = false;        // the kernel confirmed it, or the table read back shows it
  std::optional<Error> error;  // why it failed; unset when applied
  bool read_back = false;      // its reply was lost and the table read back decided
  bool operator==(const OperationOutcome&) const = default;
};

// Writes the ownership record (lvsd and lvsctl: the state file; tests: memory).
using SaveOwnership = std::function<Status(const Ownership&)>;

struct ReconcileOptions {
  DiffOptions diff;
  bool dry_run = false;    // plan only: no writes, nothing recorded
  bool read_back = false;  // read the table after applying even when nothing is in doubt
  SaveOwnership save;      // empty: the record is kept in memory only
  // The table as the caller last knew it (kept up to date with apply_to()): used
  // instead of reading the kernel. Then any failed operation makes a read-back, since
  // the caller's copy can no longer be trusted.
  const Table* observed = nullptr;
  // Only these services (normalized keys) are diffed: `desired` holds just their
  // desired state, and the rest of the table is neither planned for nor forgotten in
  // the ownership record. Unset: the whole table.
  const std::set<ServiceKey>* only = nullptr;
};

struct ReconcileOutcome {
  Table observed;                          // the table the plan was made from (with `only`: those services)
  Plan plan;
  std::vector<OperationOutcome> outcomes;  // one per operation of the plan, in order (none on a dry run)
  std::optional<Table> after;              // the table read back after applying, when it was
  std::optional<Error> read_back_error;    // reading it back failed: doubtful outcomes stay failed
  bool ownership_changed = false;
  std::optional<Error> save_error;         // the kernel was changed but the record not saved

  std::size_t applied() const;
  std::size_t failed() const;
  bool ok() const { return failed() == 0 && !save_error; }
};

// Fails, having changed nothing, when the table cannot be read, or when the plan would
// change the ownership record and `save` cannot write it first (a missing or read-only
// state folder must not leave services in the kernel that nobody remembers creating).
[[nodiscard]] Result<ReconcileOutcome> reconcile(IpvsBackend& backend, const DesiredState& desired,
                                                 Ownership& owned, const ReconcileOptions& options = {});

// Errors after which the kernel may or may not have applied the operation: its reply
// was lost (ENOBUFS: receive buffer overflow) or never sent (EINTR).
bool outcome_unknown(const Error& error);

// True when `table` shows the effect of `op` (a deleted object is absent, an added or
// edited one is present as the operation set it). Keys compare normalized.
bool table_shows(const Table& table, const Operation& op);

// Updates `owned` after a plan ran. Applied adds and deletes count; a service add or
// delete that failed is decided by `after` (owned when the table read back still has
// it); without a read-back a delete in doubt is forgotten rather than risk deleting a
// service someone else adds later. Adopted keys become owned, and keys neither in
// `observed` nor touched by the plan are dropped (nothing is left there to own).
// Returns true when the record changed.
// With `only`, keys outside it are kept as they are (`observed` holds just those services).
bool record_ownership(Ownership& owned, const Table& observed, const Plan& plan,
                      const std::vector<OperationOutcome>& outcomes, const Table* after,
                      const std::set<ServiceKey>* only = nullptr);

// Changes `table` as the kernel applying `op` would (counters of edited objects are
// kept; added ones start at 0): how a caller keeps its copy without reading it back.
void apply_to(Table& table, const Operation& op);
// The same for operations applied in this order (one index for all of them).
void apply_to(Table& table, const std::vector<Operation>& ops);

}  // namespace lvs::ipvs
