#pragma once
// What `lvsctl diff` and `lvsctl apply` share: load and validate the descriptor, read
// the ownership record and the kernel table, and compute the plan.
#include <memory>
#include <optional>
#include <string>

#include "ipvs/netlink_ipvs.h"
#include "ipvs/reconcile.h"

namespace lvsctl {

struct PlanRequest {
  std::string file;
  std::string netns;
  std::string state_dir;  // empty: lvs::ipvs::kDefaultStateDir
  bool prune = false;
};

struct PlanContext {
  std::unique_ptr<lvs::ipvs::NetlinkIpvs> backend;
  lvs::ipvs::DesiredState desired;
  lvs::ipvs::Ownership owned;
  std::string ownership_file;
  lvs::ipvs::Table observed;
  lvs::ipvs::Plan plan;
};

// Prints the descriptor's diagnostics (errors and warnings) and any failure to stderr.
// Returns nothing when the descriptor is invalid or unreadable, the ownership record is
// unreadable, or the kernel cannot be reached: the caller exits 2 having changed nothing.
std::optional<PlanContext> prepare_plan(const PlanRequest& request);

// "2 services in the kernel are not in the descriptor and not managed here: left alone
// (--prune deletes them)" on stderr, when there are any.
void note_left_alone(const lvs::ipvs::Plan& plan);

}  // namespace lvsctl
