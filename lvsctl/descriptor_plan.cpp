#include "descriptor_plan.h"

#include <cstdio>

#include "backend_open.h"
#include "desired/desired_state.h"
#include "model/loader.h"

namespace lvsctl {

std::optional<PlanContext> prepare_plan(const PlanRequest& request) {
  auto loaded = lvs::model::load_cluster_file(request.file);
  for (const auto& d : loaded.diagnostics) std::fprintf(stderr, "%s\n", d.to_string().c_str());
  if (loaded.read_failed || !loaded.ok()) {
    std::fprintf(stderr, "lvsctl: %s is not valid: nothing changed\n", request.file.c_str());
    return std::nullopt;
  }

  PlanContext ctx;
  ctx.desired = lvs::desired::desired_from_model(*loaded.cluster);
  ctx.ownership_file = lvs::ipvs::ownership_path(request.state_dir, request.netns);
  auto owned = lvs::ipvs::load_ownership(ctx.ownership_file);
  if (!owned) {
    print_error("cannot read the ownership record", owned.error());
    return std::nullopt;
  }
  ctx.owned = std::move(*owned);

  auto backend = open_backend(request.netns);
  if (!backend) {
    print_error(request.netns.empty() ? "cannot open IPVS"
                                      : "cannot open IPVS in network namespace " + request.netns,
                backend.error());
    return std::nullopt;
  }
  ctx.backend = std::move(*backend);
  auto table = ctx.backend->read_table();
  if (!table) {
    print_error("cannot read the IPVS table", table.error());
    return std::nullopt;
  }
  ctx.observed = std::move(*table);
  ctx.plan = lvs::ipvs::diff(ctx.desired, ctx.observed, ctx.owned, lvs::ipvs::DiffOptions{request.prune});
  return ctx;
}

void note_left_alone(const lvs::ipvs::Plan& plan) {
  if (plan.left_alone.empty()) return;
  std::fprintf(stderr,
               "note: %zu service(s) in the kernel are not in the descriptor and were not created by "
               "lvsctl/lvsd; left alone (--prune deletes them):\n",
               plan.left_alone.size());
  std::size_t shown = 0;
  for (const auto& k : plan.left_alone) {
    if (++shown > 10) {
      std::fprintf(stderr, "  ...\n");
      break;
    }
    std::fprintf(stderr, "  %s\n", k.to_string().c_str());
  }
}

}  // namespace lvsctl
