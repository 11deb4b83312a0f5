// lvsctl apply: make the kernel table match the descriptor, changing only what differs.
//
// Exit codes:
//   0  the table matches the descriptor (something was applied, or nothing differed;
//      also for --dry-run)
//   2  nothing was changed because the descriptor is invalid or unreadable, the
//      ownership record is unreadable or IPVS cannot be reached; or some operations
//      failed (each is printed with its errno and object; the rest were applied and the
//      ownership record reflects exactly what the kernel confirmed).
#include <unistd.h>

#include <cstdio>
#include <optional>
#include <nlohmann/json.hpp>

#include "backend_open.h"
#include "commands.h"
#include "descriptor_plan.h"
#include "plan_text.h"
#include "table_format.h"

namespace lvsctl {

namespace {

using namespace lvs::ipvs;

struct ApplyArgs {
  PlanRequest request;
  bool dry_run = false;
  bool json = false;
};

std::string plural(std::size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

std::string json_report(const Plan& plan, const Table& observed, const ApplyResult& result, bool dry_run,
                        std::size_t writes, const std::string& ownership_file) {
  using nlohmann::json;
  json ops = json::array();
  std::vector<const lvs::Error*> error_of(plan.operations.size(), nullptr);
  for (std::size_t i = 0; i < result.failed_indices.size() && i < result.errors.size(); ++i)
    if (result.failed_indices[i] < error_of.size()) error_of[result.failed_indices[i]] = &result.errors[i];
  for (std::size_t i = 0; i < plan.operations.size(); ++i) {
    json op{{"operation", describe(plan.operations[i])},
            {"applied", i < result.applied.size() && result.applied[i]}};
    std::string details = edit_details(plan.operations[i], observed);
    if (!details.empty()) op["changes"] = details;
    if (error_of[i]) op["error"] = json{{"errno", error_of[i]->code}, {"message", error_of[i]->describe()}};
    ops.push_back(std::move(op));
  }
  json left = json::array();
  for (const auto& k : plan.left_alone) left.push_back(k.to_string());
  json doc{{"dry_run", dry_run},
           {"operations", std::move(ops)},
           {"total", plan.operations.size()},
           {"applied", result.applied_count()},
           {"failed", result.errors.size()},
           {"writes", writes},
           {"left_alone", std::move(left)},
           {"ownership_file", ownership_file}};
  return doc.dump(2) + "\n";
}

int run_apply(const ApplyArgs& a) {
  // Taken before reading the table so the plan cannot go stale under another writer.
  std::optional<OwnershipLock> lock;
  if (!a.dry_run) {
    auto locked = OwnershipLock::try_acquire(ownership_path(a.request.state_dir, a.request.netns));
    if (!locked) {
      print_error("nothing changed", locked.error());
      return kExitError;
    }
    lock.emplace(std::move(*locked));
  }
  auto ctx = prepare_plan(a.request);
  if (!ctx) return kExitError;
  note_left_alone(ctx->plan);
  const Plan& plan = ctx->plan;

  ApplyResult result;
  std::size_t writes = 0;
  bool record_failed = false;
  if (!a.dry_run && (!plan.empty() || !plan.adopted.empty())) {
    // Prove the record can be written before touching the kernel, so a read-only or
    // missing state folder changes nothing rather than leaving services we forget.
    auto writable = save_ownership(ctx->ownership_file, ctx->owned);
    if (!writable) {
      print_error("cannot write the ownership record (see --state-dir); nothing changed", writable.error());
      return kExitError;
    }
  }
  if (!a.dry_run) {
    const std::size_t before = ctx->backend->writes_sent();
    if (!plan.empty()) result = ctx->backend->apply(plan.operations);
    writes = ctx->backend->writes_sent() - before;
    if (record_outcome(ctx->owned, plan, result)) {
      auto saved = save_ownership(ctx->ownership_file, ctx->owned);
      if (!saved) {
        print_error("the kernel was changed but the ownership record could not be saved", saved.error());
        record_failed = true;
      }
    }
  }

  if (a.json) {
    if (!write_all(STDOUT_FILENO, json_report(plan, ctx->observed, result, a.dry_run, writes, ctx->ownership_file)))
      return kExitError;
  } else {
    std::string out;
    if (a.dry_run) {
      out = plan_lines(plan, ctx->observed);
      out += "dry run: " + plural(plan.operations.size(), "operation") + " planned, 0 writes\n";
    } else {
      // Print what the kernel confirmed; failures go to stderr with errno and object.
      Plan done;
      for (std::size_t i = 0; i < plan.operations.size(); ++i)
        if (i < result.applied.size() && result.applied[i]) done.operations.push_back(plan.operations[i]);
      out = plan_lines(done, ctx->observed);
      out += "applied " + std::to_string(result.applied_count()) + " of " +
             std::to_string(plan.operations.size()) + " operations, " + plural(writes, "write") + "\n";
    }
    for (std::size_t i = 0; i < result.errors.size(); ++i) {
      const std::size_t idx = i < result.failed_indices.size() ? result.failed_indices[i] : 0;
      const std::string what = idx < plan.operations.size() ? describe(plan.operations[idx]) : "operation";
      const std::string why = result.errors[i].describe();
      // The backend's message usually names the object already; do not say it twice.
      if (why.find(what) != std::string::npos)
        std::fprintf(stderr, "lvsctl: failed: %s\n", why.c_str());
      else
        std::fprintf(stderr, "lvsctl: failed: %s: %s\n", what.c_str(), why.c_str());
    }
    if (!write_all(STDOUT_FILENO, out)) return kExitError;
  }
  return (result.ok() && !record_failed) ? kExitOk : kExitError;
}

}  // namespace

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
  cmd->callback([args, &exit_code] { exit_code = run_apply(*args); });
}

}  // namespace lvsctl
