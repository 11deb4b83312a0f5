// lvsctl diff: what `apply` would change, with no writes.
// Exit: 0 nothing differs, 1 something differs, 2 error (invalid descriptor included).
#include "commands.h"
#include "descriptor_commands.h"
#include "ipvs/reconcile_run.h"
#include "plan_text.h"

namespace lvsctl {

CommandOutput diff_descriptor(const PlanRequest& request, const TableAccess& table) {
  CommandOutput r;
  r.exit_code = kExitError;
  auto in = load_plan_inputs(request, r.err);
  if (!in) return r;
  auto backend = table.open();
  if (!backend) {
    r.err += error_line(request.netns.empty() ? "cannot open IPVS" : "cannot open IPVS in network namespace " + request.netns,
                        backend.error());
    return r;
  }
  lvs::ipvs::ReconcileOptions options;
  options.diff.prune = request.prune;
  options.dry_run = true;
  auto run = lvs::ipvs::reconcile(**backend, in->desired, in->owned, options);
  if (!run) {
    r.err += "lvsctl: " + run.error().describe() + "\n";
    return r;
  }
  r.err += left_alone_note(run->plan);
  r.out = plan_lines(run->plan, run->observed);
  r.exit_code = run->plan.empty() ? kExitOk : kExitDiffers;
  return r;
}

void add_diff_command(CLI::App& app, int& exit_code) {
  auto req = std::make_shared<PlanRequest>();
  auto* cmd = app.add_subcommand(
      "diff", "Show the operations that would make the kernel table match FILE, without writing "
              "(exit 0: no difference, 1: differences, 2: error)");
  cmd->add_option("FILE", req->file, "Cluster descriptor (JSON)")->required();
  cmd->add_option("--netns", req->netns, "Network namespace (as made by `ip netns add`)");
  cmd->add_option("--state-dir", req->state_dir, "Folder of the ownership record (default /var/lib/lvsd)");
  cmd->add_flag("--prune", req->prune, "Also delete services lvsctl/lvsd did not create");
  cmd->callback([req, &exit_code] { exit_code = print_output(diff_descriptor(*req, kernel_table(req->netns))); });
}

}  // namespace lvsctl
