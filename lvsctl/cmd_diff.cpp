// lvsctl diff: what `apply` would change, with no writes.
// Exit: 0 nothing differs, 1 something differs, 2 error (invalid descriptor included).
#include <unistd.h>

#include "commands.h"
#include "descriptor_plan.h"
#include "plan_text.h"
#include "table_format.h"

namespace lvsctl {

namespace {

int run_diff(const PlanRequest& request) {
  auto ctx = prepare_plan(request);
  if (!ctx) return kExitError;
  note_left_alone(ctx->plan);
  if (ctx->plan.empty()) return kExitOk;
  std::string out = plan_lines(ctx->plan, ctx->observed);
  if (!write_all(STDOUT_FILENO, out)) return kExitError;
  return kExitDiffers;
}

}  // namespace

void add_diff_command(CLI::App& app, int& exit_code) {
  auto req = std::make_shared<PlanRequest>();
  auto* cmd = app.add_subcommand(
      "diff", "Show the operations that would make the kernel table match FILE, without writing "
              "(exit 0: no difference, 1: differences, 2: error)");
  cmd->add_option("FILE", req->file, "Cluster descriptor (JSON)")->required();
  cmd->add_option("--netns", req->netns, "Network namespace (as made by `ip netns add`)");
  cmd->add_option("--state-dir", req->state_dir, "Folder of the ownership record (default /var/lib/lvsd)");
  cmd->add_flag("--prune", req->prune, "Also delete services lvsctl/lvsd did not create");
  cmd->callback([req, &exit_code] { exit_code = run_diff(*req); });
}

}  // namespace lvsctl
