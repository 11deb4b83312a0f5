// lvsctl drain REAL [--service NAME] [--wait] [--timeout S]: weight 0 for the real, then
// (with --wait) follow its connection counts until lvsd reports it drained.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "commands.h"
#include "control_client.h"

namespace lvsctl {

namespace {

using nlohmann::json;

struct DrainArgs {
  RealTarget target;
  bool wait = false;
  unsigned timeout_s = 0;
};

// The status rows of the reals the drain named, by (service, real).
std::vector<json> rows_for(const json& status, const std::vector<lvs::control::AdminReal>& drained) {
  std::vector<json> rows;
  for (const auto& d : drained)
    for (const auto& svc : status.value("services", json::array()))
      if (svc.value("name", "") == d.service)
        for (const auto& r : svc.value("reals", json::array()))
          if (r.value("real", "") == d.real && r.value("role", "") == "real") {
            json row = r;
            row["service"] = svc["name"];
            rows.push_back(row);
          }
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
    auto rows = rows_for((*st)["status"], admin->reals);
    bool all = !rows.empty();
    for (const auto& r : rows) {
      const std::string admin = r.value("admin", "");
      if (admin != "drained") all = false;
      std::printf("%s %s: %s, %u active, %u inactive, %u persistent\n", r.value("service", "").c_str(),
                  r.value("real", "").c_str(), admin.c_str(), r.value("active_conns", 0u), r.value("inactive_conns", 0u),
                  r.value("persistent_conns", 0u));
      if (r.contains("drain") && r["drain"].contains("note"))
        std::printf("  %s\n", r["drain"]["note"].get<std::string>().c_str());
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
