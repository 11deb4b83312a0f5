// lvsctl drain REAL [--service NAME] [--wait] [--timeout S]: weight 0 for the real, then
// (with --wait) follow its connection counts until lvsd reports it drained.
#include <chrono>
#include <cstdio>
#include <thread>

#include "commands.h"
#include "control/status.h"
#include "daemon_commands.h"

namespace lvsctl {

namespace {

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

// --json --wait: the drain's reply with each real's last admin state and counts.
nlohmann::json waited_document(const std::vector<std::pair<std::string, lvs::control::RealStatus>>& rows,
                               bool drained, double waited_s) {
  nlohmann::json reals = nlohmann::json::array();
  for (const auto& [service, r] : rows) {
    nlohmann::json one{{"service", service},
                       {"real", r.real},
                       {"admin", r.admin},
                       {"active_conns", r.active_conns},
                       {"inactive_conns", r.inactive_conns},
                       {"persistent_conns", r.persistent_conns}};
    if (r.drain && !r.drain->note.empty()) one["note"] = r.drain->note;
    reals.push_back(std::move(one));
  }
  return {{"ok", true}, {"reals", std::move(reals)}, {"drained", drained}, {"waited_s", waited_s}};
}

}  // namespace

CommandOutput drain_real(const DrainArgs& a) {
  auto req = real_request(lvs::control::Command::drain, a.target);
  req.deadline_s = a.timeout_s;
  lvs::control::ErrorReply failure;
  auto reply = call_daemon(a.target.socket, req, nullptr, std::chrono::seconds(30), &failure);
  auto admin = reply ? decode_reply(*reply, lvs::control::decode_admin, &failure) : std::nullopt;
  if (!admin) return {kExitError, a.json ? failure_document(failure) : "", ""};
  if (!a.wait) return {kExitOk, a.json ? json_document(nlohmann::json(*admin)) : admin_text(*admin), ""};
  if (!a.json) {
    const std::string first = admin_text(*admin);
    std::fwrite(first.data(), 1, first.size(), stdout);
  }
  const auto start = std::chrono::steady_clock::now();
  const auto waited = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  for (;;) {
    auto st = call_daemon(a.target.socket, lvs::control::request_for(lvs::control::Command::status), nullptr,
                          std::chrono::seconds(30), &failure);
    if (!st) return {kExitError, a.json ? failure_document(failure) : "", ""};
    auto status = lvs::control::status_from_json((*st)["status"]);
    if (!status) {
      const std::string why = status.error().describe();
      return {kExitError, a.json ? failure_document({why, {}}) : "", "lvsctl: " + why + "\n"};
    }
    auto rows = rows_for(*status, admin->reals);
    bool all = !rows.empty();
    for (const auto& [service, r] : rows) {
      if (r.admin != "drained") all = false;
      if (a.json) continue;
      std::printf("%s %s: %s, %u active, %u inactive, %u persistent\n", service.c_str(), r.real.c_str(),
                  r.admin.c_str(), r.active_conns, r.inactive_conns, r.persistent_conns);
      if (r.drain && !r.drain->note.empty()) std::printf("  %s\n", r.drain->note.c_str());
    }
    std::fflush(stdout);
    if (all) return {kExitOk, a.json ? json_document(waited_document(rows, true, waited())) : "drained\n", ""};
    // The daemon ends the drain at the deadline; allow it a few counter reads to say so.
    if (a.timeout_s && waited() > a.timeout_s + 5) {
      return {kExitDiffers, a.json ? json_document(waited_document(rows, false, waited())) : "",
              "lvsctl: still draining after " + std::to_string(a.timeout_s) + " s\n"};
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

void add_drain_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("drain", "Take a real out: weight 0, existing connections finish");
  auto a = std::make_shared<DrainArgs>();
  add_real_target_options(*cmd, a->target);
  cmd->add_flag("--wait", a->wait, "wait until the real is drained, printing its connection counts");
  cmd->add_option("--timeout", a->timeout_s, "drain deadline in seconds (also bounds --wait)");
  cmd->add_flag("--json", a->json,
                "lvsd's reply as JSON: {\"ok\":true,\"reals\":[{\"service\",\"real\",\"admin\"}]}; with --wait one "
                "document at the end, each real with its connection counts, plus \"drained\" and \"waited_s\"");
  cmd->footer("Exit status: 0 drain started (with --wait: drained); 1 --wait gave up, still draining after\n"
              "--timeout; 2 refused (no such real or service), lvsd unreachable or a bad reply. With --json stdout\n"
              "holds one document, on failure {\"ok\":false,\"error\":...}.");
  cmd->callback([a, &exit_code] { exit_code = print_output(drain_real(*a)); });
}

}  // namespace lvsctl
