// lvsctl diff: what `apply` would change, with no writes.
// Exit: 0 nothing differs, 1 something differs, 2 error (invalid descriptor included).
#include <nlohmann/json.hpp>

#include "commands.h"
#include "descriptor_commands.h"
#include "ipvs/reconcile_run.h"
#include "plan_text.h"

namespace lvsctl {

namespace {

std::string json_plan(const lvs::ipvs::ReconcileOutcome& run) {
  nlohmann::ordered_json ops = nlohmann::ordered_json::array();
  for (const auto& op : run.plan.operations) {
    nlohmann::ordered_json j{{"operation", lvs::ipvs::describe(op)}};
    std::string details = edit_details(op, run.observed);
    if (!details.empty()) j["changes"] = std::move(details);
    ops.push_back(std::move(j));
  }
  nlohmann::ordered_json left = nlohmann::ordered_json::array();
  for (const auto& k : run.plan.left_alone) left.push_back(k.to_string());
  nlohmann::ordered_json doc;
  doc["differs"] = !run.plan.empty();
  doc["operations"] = std::move(ops);
  doc["total"] = run.plan.operations.size();
  doc["left_alone"] = std::move(left);
  return doc.dump(2) + "\n";
}

}  // namespace

CommandOutput diff_descriptor(const PlanRequest& request, const TableAccess& table, bool json) {
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
  if (json) {
    r.out = json_plan(*run);
  } else {
    r.err += left_alone_note(run->plan);
    r.out = plan_lines(run->plan, run->observed);
  }
  r.exit_code = run->plan.empty() ? kExitOk : kExitDiffers;
  return r;
}

void add_diff_command(CLI::App& app, int& exit_code) {
  auto req = std::make_shared<PlanRequest>();
  auto json = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand(
      "diff", "Show the operations that would make the kernel table match FILE, without writing "
              "(exit 0: no difference, 1: differences, 2: error)");
  cmd->add_option("FILE", req->file, "Cluster descriptor (JSON)")->required();
  cmd->add_option("--netns", req->netns, "Network namespace (as made by `ip netns add`)");
  cmd->add_option("--state-dir", req->state_dir, "Folder of the ownership record (default /var/lib/lvsd)");
  cmd->add_flag("--prune", req->prune, "Also delete services lvsctl/lvsd did not create");
  cmd->add_flag("--json", *json,
                "The plan as JSON: {\"differs\",\"operations\":[{\"operation\",\"changes\"}],\"total\",\"left_alone\"}");
  cmd->footer("Exit status: 0 nothing differs; 1 something differs; 2 invalid descriptor, unreadable ownership record\n"
              "or IPVS unreachable (the reason on stderr; with --json nothing on stdout then).");
  cmd->callback([req, json, &exit_code] {
    exit_code = print_output(diff_descriptor(*req, kernel_table(req->netns), *json));
  });
}

}  // namespace lvsctl
