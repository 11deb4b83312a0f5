#pragma once
// The reconciler: plan = diff(desired, observed, owned), a pure function. Applying the
// plan and recording ownership: reconcile_run.h.
//
// Rules (DESIGN.md, "Reconcile, never flush"):
//  - services are added before their destinations; destinations are deleted before
//    their services;
//  - whatever SET_SERVICE / SET_DEST can change (scheduler, flags, persistence, engine,
//    weight, thresholds, forwarding incl. tunnel attributes) is an edit, never
//    delete-and-add, which would drop connections;
//  - a service the descriptor no longer has is deleted only when we own it (it is in the
//    ownership record) or the caller asked to prune;
//  - a service the descriptor has is managed whole: destinations it does not list are
//    removed, and it is adopted into the ownership record.
// Both sides are compared normalized (normalized() below) so a table read back from
// the kernel equals the table that was written, and a second diff is empty.
#include <cstddef>
#include <vector>

#include "common/result.h"
#include "ipvs/backend.h"  // Operation
#include "ipvs/ownership.h"
#include "ipvs/types.h"

namespace lvs::ipvs {

struct DesiredService {
  Service service;
  std::vector<Destination> destinations;
  bool operator==(const DesiredService&) const = default;
};

// What the descriptor (plus health and admin state) wants in the kernel table.
struct DesiredState {
  std::vector<DesiredService> services;
  bool operator==(const DesiredState&) const = default;
};

struct DiffOptions {
  bool prune = false;  // also delete services we do not own that the descriptor lacks
};

struct Plan {
  std::vector<Operation> operations;
  // Desired services already in the kernel but not yet in the ownership record: they
  // become owned once applied, since the descriptor claims them.
  std::vector<ServiceKey> adopted;
  // Services in the kernel that the descriptor lacks and we do not own, left alone
  // (without prune): worth telling the operator about.
  std::vector<ServiceKey> left_alone;

  bool empty() const { return operations.empty(); }
  bool operator==(const Plan&) const = default;
};

// Canonical forms used for comparison and for the operations a plan carries:
// fwmark keys drop protocol/address/port; `hashed` is dropped; `persistent` follows the
// timeout; netmask is the family's full length when not persistent (IPv6 uses a prefix
// length, which the kernel requires to be 1..128); destination family follows its
// address; tunnel attributes are cleared unless forwarding is tunnel.
ServiceKey normalized(const ServiceKey& key);
Service normalized(const Service& service);
Destination normalized(const Destination& dest);

[[nodiscard]] Plan diff(const DesiredState& desired, const Table& observed, const Ownership& owned,
                        const DiffOptions& options = {});

// Reading, applying and recording ownership: reconcile_run.h.

// Counts of a plan by kind, for summaries ("2 services added, 1 real edited").
struct PlanCounts {
  std::size_t add_service = 0, edit_service = 0, delete_service = 0;
  std::size_t add_dest = 0, edit_dest = 0, delete_dest = 0;
  bool operator==(const PlanCounts&) const = default;
};
PlanCounts count(const std::vector<Operation>& ops);

}  // namespace lvs::ipvs
