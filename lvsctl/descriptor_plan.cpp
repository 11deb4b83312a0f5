#include "descriptor_plan.h"

#include <cstdio>
#include <memory>
#include <unistd.h>

#include "backend_open.h"
#include "commands.h"
#include "table_format.h"
#include "desired/desired_state.h"
#include "ipvs/netns.h"
#include "model/loader.h"
#include "nft/nft_marks.h"

namespace lvsctl {

std::optional<PlanInputs> load_plan_inputs(const PlanRequest& request, std::string& err) {
  auto loaded = lvs::model::load_cluster_file(request.file);
  for (const auto& d : loaded.diagnostics) err += d.to_string() + "\n";
  if (loaded.read_failed || !loaded.ok()) {
    err += "lvsctl: " + request.file + " is not valid: nothing changed\n";
    return std::nullopt;
  }
  PlanInputs in;
  in.desired = lvs::desired::desired_from_model(*loaded.cluster);
  in.marks = lvs::desired::mark_rules(*loaded.cluster);
  in.ownership_file = lvs::ipvs::ownership_path(request.state_dir, request.netns);
  auto owned = lvs::ipvs::load_ownership(in.ownership_file);
  if (!owned) {
    err += error_line("cannot read the ownership record", owned.error());
    return std::nullopt;
  }
  in.owned = std::move(*owned);
  return in;
}

TableAccess kernel_table(const std::string& netns) {
  auto held = std::make_shared<std::unique_ptr<lvs::ipvs::NetlinkIpvs>>();
  TableAccess t;
  t.open = [held, netns]() -> lvs::Result<lvs::ipvs::IpvsBackend*> {
    if (!*held) {
      auto opened = open_backend(netns);
      if (!opened) return opened.error();
      *held = std::move(*opened);
    }
    return static_cast<lvs::ipvs::IpvsBackend*>(held->get());
  };
  t.writes_sent = [held]() -> std::size_t { return *held ? (*held)->writes_sent() : 0; };
  auto marks = std::make_shared<std::unique_ptr<lvs::nft::NftMarks>>();
  t.marks = [marks, netns]() -> lvs::Result<lvs::desired::MarkFilter*> {
    if (!*marks) {
      lvs::Status opened = lvs::ok();
      auto open = [&]() -> lvs::Status {
        auto m = lvs::nft::NftMarks::open();
        if (!m) return m.error();
        *marks = std::move(*m);
        return lvs::ok();
      };
      // The context's netlink socket is made inside the namespace and stays bound there.
      opened = netns.empty() ? open() : lvs::ipvs::run_in_netns(netns, open);
      if (!opened) return opened.error();
    }
    return static_cast<lvs::desired::MarkFilter*>(marks->get());
  };
  return t;
}

int print_output(const CommandOutput& output) {
  if (!output.err.empty()) std::fputs(output.err.c_str(), stderr);
  if (!write_all(STDOUT_FILENO, output.out)) return kExitError;
  return output.exit_code;
}

std::string left_alone_note(const lvs::ipvs::Plan& plan) {
  if (plan.left_alone.empty()) return {};
  std::string out = "note: " + std::to_string(plan.left_alone.size()) +
                    " service(s) in the kernel are not in the descriptor and were not created by "
                    "lvsctl/lvsd; left alone (--prune deletes them):\n";
  std::size_t shown = 0;
  for (const auto& k : plan.left_alone) {
    if (++shown > 10) {
      out += "  ...\n";
      break;
    }
    out += "  " + k.to_string() + "\n";
  }
  return out;
}

std::string error_line(const std::string& what, const lvs::Error& error) {
  return "lvsctl: " + what + ": " + error.describe() + "\n";
}

}  // namespace lvsctl
