// lvsctl apply: make the kernel table match the descriptor, changing only what differs,
// through the reconcile path lvsd uses (lib/ipvs/reconcile_run.h).
#include <optional>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "descriptor_commands.h"
#include "ipvs/reconcile_run.h"
#include "plan_text.h"

namespace lvsctl {

namespace {

using namespace lvs::ipvs;

std::string plural(std::size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

// "1 marked service (2 ports) in table inet lvsd_mark"
std::string marks_summary(const lvs::desired::MarkRules& marks) {
  return plural(marks.rules.size(), "marked service") + " (" + plural(marks.port_count(), "port") + ") in table " +
         lvs::desired::kMarkTable;
}

std::string json_report(const ReconcileOutcome& run, bool dry_run, std::size_t writes,
                        const std::string& ownership_file, const lvs::desired::MarkRules& marks) {
  using nlohmann::json;
  json ops = json::array();
  auto add = [&](const Operation& op, bool applied, const lvs::Error* error, bool read_back) {
    json j{{"operation", describe(op)}, {"applied", applied}};
    std::string details = edit_details(op, run.observed);
    if (!details.empty()) j["changes"] = details;
    if (error) j["error"] = json{{"errno", error->code}, {"message", error->describe()}};
    if (read_back) j["read_back"] = true;
    ops.push_back(std::move(j));
  };
  if (dry_run)
    for (const auto& op : run.plan.operations) add(op, false, nullptr, false);
  for (const auto& o : run.outcomes) add(o.operation, o.applied, o.error ? &*o.error : nullptr, o.read_back);
  json left = json::array();
  for (const auto& k : run.plan.left_alone) left.push_back(k.to_string());
  json doc{{"dry_run", dry_run},
           {"operations", std::move(ops)},
           {"total", run.plan.operations.size()},
           {"applied", run.applied()},
           {"failed", run.failed()},
           {"writes", writes},
           {"left_alone", std::move(left)},
           {"ownership_file", ownership_file}};
  if (!marks.empty()) {
    json rules = json::array();
    for (const auto& r : marks.rules) {
      rules.push_back(json{{"fwmark", r.mark},
                           {"protocol", lvs::model::to_string(r.protocol)},
                           {"address", r.address.to_string()},
                           {"ports", r.ports}});
    }
    doc["marks"] = json{{"table", lvs::desired::kMarkTable}, {"set", !dry_run}, {"rules", std::move(rules)}};
  }
  return doc.dump(2) + "\n";
}

// The text report: what the kernel confirmed on stdout, failures on stderr.
void text_report(const ReconcileOutcome& run, bool dry_run, std::size_t writes, const lvs::desired::MarkRules& marks,
                 CommandOutput& r) {
  if (dry_run) {
    r.out = plan_lines(run.plan, run.observed);
    if (!marks.empty()) r.out += "marks: would set " + marks_summary(marks) + "\n";
    r.out += "dry run: " + plural(run.plan.operations.size(), "operation") + " planned, 0 writes\n";
    return;
  }
  Plan done;
  for (const auto& o : run.outcomes)
    if (o.applied) done.operations.push_back(o.operation);
  r.out = plan_lines(done, run.observed);
  if (!marks.empty()) r.out += "marks: " + marks_summary(marks) + "\n";
  r.out += "applied " + std::to_string(run.applied()) + " of " + std::to_string(run.plan.operations.size()) +
           " operations, " + plural(writes, "write") + "\n";
  for (const auto& o : run.outcomes) {
    if (o.applied) continue;
    const std::string what = describe(o.operation);
    const std::string why = o.error->describe();
    // The backend's message usually names the object already; do not say it twice.
    r.err += why.find(what) != std::string::npos ? "lvsctl: failed: " + why + "\n"
                                                 : "lvsctl: failed: " + what + ": " + why + "\n";
  }
}

}  // namespace

CommandOutput apply_descriptor(const ApplyArgs& a, const TableAccess& table) {
  CommandOutput r;
  r.exit_code = kExitError;
  // Taken before reading the table so the plan cannot go stale under another writer.
  std::optional<OwnershipLock> lock;
  if (!a.dry_run) {
    auto locked = OwnershipLock::try_acquire(ownership_path(a.request.state_dir, a.request.netns));
    if (!locked) {
      r.err += error_line("nothing changed", locked.error());
      return r;
    }
    lock.emplace(std::move(*locked));
  }
  auto in = load_plan_inputs(a.request, r.err);
  if (!in) return r;
  auto backend = table.open();
  if (!backend) {
    r.err += error_line(a.request.netns.empty() ? "cannot open IPVS"
                                                : "cannot open IPVS in network namespace " + a.request.netns,
                        backend.error());
    return r;
  }
  // The marks before the table, as lvsd does: marks without their fwmark service yet
  // are harmless (IPVS falls back to the address:port service); a fwmark service
  // without its marks gets no traffic. One nft transaction: a failure changes nothing.
  if (!a.dry_run && table.marks) {
    auto filter = table.marks();
    lvs::Status set = filter ? (in->marks.empty() ? (*filter)->remove() : (*filter)->install(in->marks))
                             : lvs::Status(filter.error());
    // Nothing to mark: a host without nftables has no table left to remove either.
    if (!set && !in->marks.empty()) {
      r.err += error_line("cannot set the firewall marks; nothing changed", set.error());
      return r;
    }
  }
  ReconcileOptions options;
  options.diff.prune = a.request.prune;
  options.dry_run = a.dry_run;
  const std::string file = in->ownership_file;
  options.save = [&file](const Ownership& owned) { return save_ownership(file, owned); };
  const std::size_t before = table.writes_sent();
  auto run = reconcile(**backend, in->desired, in->owned, options);
  if (!run) {
    r.err += "lvsctl: " + run.error().describe() + "\n";
    return r;
  }
  const std::size_t writes = table.writes_sent() - before;
  r.err += left_alone_note(run->plan);
  if (run->read_back_error)
    r.err += error_line("cannot read the table back to settle operations without a reply", *run->read_back_error);
  if (run->save_error)
    r.err += error_line("the kernel was changed but the ownership record could not be saved", *run->save_error);
  if (a.json) r.out = json_report(*run, a.dry_run, writes, file, in->marks);
  else text_report(*run, a.dry_run, writes, in->marks, r);
  r.exit_code = run->ok() ? kExitOk : kExitError;
  return r;
}

void add_apply_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ApplyArgs>();
  auto* cmd = app.add_subcommand(
      "apply", "Validate FILE, then change the kernel table to match it, touching only what differs "
               "(exit 0: matches, 2: invalid descriptor or a failed operation)");
  cmd->add_option("FILE", args->request.file, "Cluster descriptor (JSON)")->required();
  cmd->add_flag("--dry-run", args->dry_run, "Print the plan without writing");
  cmd->add_flag("--prune", args->request.prune, "Also delete services lvsctl/lvsd did not create");
  cmd->add_option("--netns", args->request.netns, "Network namespace (as made by `ip netns add`)");
  cmd->add_option("--state-dir", args->request.state_dir,
                  "Folder of the ownership record (default /var/lib/lvsd)");
  cmd->add_flag("--json", args->json, "Report as JSON");
  cmd->footer("Exit status: 0 the table matches (also for --dry-run); 2 nothing was changed (invalid descriptor,\n"
              "unreadable ownership record, IPVS unreachable, another writer holds the lock) or some operations\n"
              "failed (each on stderr with its errno and object; with --json in the document too).");
  cmd->callback([args, &exit_code] {
    exit_code = print_output(apply_descriptor(*args, kernel_table(args->request.netns)));
  });
}

}  // namespace lvsctl
