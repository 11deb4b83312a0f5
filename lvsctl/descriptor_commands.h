#pragma once
// `lvsctl diff` and `lvsctl apply` without the command line: what they print and their
// exit code, for a given kernel table (NetlinkIpvs from main, FakeIpvs in tests).
#include "descriptor_plan.h"

namespace lvsctl {

// Exit 0 nothing differs, 1 something differs, 2 error (invalid descriptor included).
// With `json`, on exit 0 or 1 `out` is one document:
//   {"differs":bool,"operations":[{"operation":"...","changes":"..."}],"total":N,"left_alone":["..."]}
// ("changes" only for edits); errors go to stderr as in text mode.
CommandOutput diff_descriptor(const PlanRequest& request, const TableAccess& table, bool json = false);

struct ApplyArgs {
  PlanRequest request;
  bool dry_run = false;
  bool json = false;
};

// Exit 0 the table matches (also for --dry-run); 2 nothing was changed (invalid
// descriptor, unreadable record, IPVS unreachable, another writer holds the lock) or
// some operations failed (each reported with its errno and object; the record reflects
// exactly what the kernel confirmed, or the table read back showed).
CommandOutput apply_descriptor(const ApplyArgs& args, const TableAccess& table);

}  // namespace lvsctl
