// lvsctl drain REAL [--service NAME] [--wait] [--timeout S]: weight 0 for the real, then
// (with --wait) follow its connection counts until lvsd reports it drained.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "commands.h"
#include "control/status.h"
#include "control_client.h"

namespace lvsctl {

namespace {

struct DrainArgs {
  RealTarget target;
  bool wait = false;
  unsigned timeout_s = 0;
};

// The status rows of the reals the drain named, with their service.
std::vector<std::pair<std::string, lvs::control::RealStatus>> rows_for(
    const lvs::control::StatusReport& status, const std::vector<lvs::control::AdminReal>& drained) {
  std::vector<std::pair<std::string, lvs::control::RealStatus>> rows;
  for (const auto& d : drained)
    for (const auto& svc : status.services)
      if (svc.name == d.service)
        for (const auto& r : svc.reals)
          if (r.real == d.real && r.role == "real") rows.emplace_back(svc.name, r);
  return rows;
}

int run_drain(const DrainArgs& a) {
  auto req = real_request(lvs::control::Command::drain, a.target);
  req.deadline_s = a.timeout_s;
  auto reply = call_daemon(a.target.socket, req);
  auto admin = reply ? decode_reply(*reply, lvs::control::decode_admin) : std::nullopt;
  if (!admin) return kExitError;
  for (const auto& r : admin->reals) std::printf("%s %s: %s\n", r.service.c_str(), r.real.c_str(), r.admin.c_str());
  if (!a.wait) return kExitOk;
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    auto st = call_daemon(a.target.socket, lvs::control::request_for(lvs::control::Command::status));
    if (!st) return kExitError;
    auto status = lvs::control::status_from_json((*st)["status"]);
    if (!status) {
      std::fprintf(stderr, "lvsctl: %s\n", status.error().describe().c_str());
      return kExitError;
    }
    auto rows = rows_for(*status, admin->reals);
    bool all = !rows.empty();
    for (const auto& [service, r] : rows) {
      if (r.admin != "drained") all = false;
      std::printf("%s %s: %s, %u active, %u inactive, %u persistent\n", service.c_str(), r.real.c_str(),
                  r.admin.c_str(), r.active_conns, r.inactive_conns, r.persistent_conns);
      if (r.drain && !r.drain->note.empty()) std::printf("  %s\n", r.drain->note.c_str());
    }
    std::fflush(stdout);
    if (all) {
      std::printf("drained\n");
      return kExitOk;
    }
    const auto waited = std::chrono::steady_clock::now() - start;
    // The daemon ends the drain at the deadline; allow it a few counter reads to say so.
    if (a.timeout_s && waited > std::chrono::seconds(a.timeout_s + 5)) {
      std::fprintf(stderr, "lvsctl: still draining after %u s\n", a.timeout_s);
      return kExitDiffers;
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

}  // namespace

void add_drain_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("drain", "Take a real out: weight 0, existing connections finish");
  auto a = std::make_shared<DrainArgs>();
  add_real_target_options(*cmd, a->target);
  cmd->add_flag("--wait", a->wait, "wait until the real is drained, printing its connection counts");
  cmd->add_option("--timeout", a->timeout_s, "drain deadline in seconds (also bounds --wait)");
  cmd->callback([a, &exit_code] { exit_code = run_drain(*a); });
}

}  // namespace lvsctl
