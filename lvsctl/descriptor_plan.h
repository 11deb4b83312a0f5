#pragma once
// What `lvsctl diff` and `lvsctl apply` share: the descriptor turned into the desired
// table, the ownership record, and the kernel table they work on (injected, so tests
// run both commands against FakeIpvs).
#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "common/result.h"
#include "desired/marks.h"
#include "ipvs/backend.h"
#include "ipvs/ownership.h"
#include "ipvs/reconcile.h"

namespace lvsctl {

struct PlanRequest {
  std::string file;
  std::string netns;
  std::string state_dir;  // empty: lvs::ipvs::kDefaultStateDir
  bool prune = false;
};

struct PlanInputs {
  lvs::ipvs::DesiredState desired;
  lvs::ipvs::Ownership owned;
  std::string ownership_file;
  lvs::desired::MarkRules marks;  // of the marked fwmark services (the same lvsd sets)
};

// Loads and validates the descriptor and reads the ownership record. The descriptor's
// diagnostics and any failure are appended to `err`; nothing is returned when the
// descriptor is invalid or unreadable or the record unreadable (the caller exits 2
// having changed nothing).
std::optional<PlanInputs> load_plan_inputs(const PlanRequest& request, std::string& err);

// The kernel table a command works on, opened only once the descriptor proved valid
// (so a bad file is reported as such even where IPVS cannot be reached).
struct TableAccess {
  std::function<lvs::Result<lvs::ipvs::IpvsBackend*>()> open;
  std::function<std::size_t()> writes_sent;  // write requests sent so far
  // The firewall marks (nftables in the same namespace). Empty: the command sets none.
  std::function<lvs::Result<lvs::desired::MarkFilter*>()> marks = {};
};
// NetlinkIpvs and NftMarks in the caller's network namespace or in `netns`.
TableAccess kernel_table(const std::string& netns);

// What a command prints and its exit code; main writes it out.
struct CommandOutput {
  int exit_code = 0;
  std::string out;
  std::string err;
};

// Writes err to stderr and out to stdout; returns the exit code (2 when stdout fails).
int print_output(const CommandOutput& output);

// "note: 2 service(s) in the kernel are not in the descriptor ..." lines, or empty.
std::string left_alone_note(const lvs::ipvs::Plan& plan);

// "lvsctl: <what>: <error>\n".
std::string error_line(const std::string& what, const lvs::Error& error);

}  // namespace lvsctl
