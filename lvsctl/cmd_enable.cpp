// lvsctl enable REAL [--service NAME]: end a drain; the configured weight returns once
// the real is healthy.
#include "commands.h"
#include "daemon_commands.h"

namespace lvsctl {

std::string admin_text(const lvs::control::AdminReply& admin) {
  std::string out;
  for (const auto& r : admin.reals) out += r.service + " " + r.real + ": " + r.admin + "\n";
  return out;
}

CommandOutput enable_real(const RealTarget& target, bool json) {
  lvs::control::ErrorReply failure;
  auto reply = call_daemon(target.socket, real_request(lvs::control::Command::enable, target), nullptr,
                           std::chrono::seconds(30), &failure);
  auto admin = reply ? decode_reply(*reply, lvs::control::decode_admin, &failure) : std::nullopt;
  if (!admin) return {kExitError, json ? failure_document(failure) : "", ""};
  return {kExitOk, json ? json_document(nlohmann::json(*admin)) : admin_text(*admin), ""};
}

void add_enable_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("enable", "Put a drained real back in service");
  auto target = std::make_shared<RealTarget>();
  auto json = std::make_shared<bool>(false);
  add_real_target_options(*cmd, *target);
  cmd->add_flag("--json", *json, "lvsd's reply as JSON: {\"ok\":true,\"reals\":[{\"service\",\"real\",\"admin\"}]}");
  cmd->footer("Exit status: 0 enabled; 2 refused (no such real or service), lvsd unreachable or a bad reply.\n"
              "With --json stdout holds one document, on failure {\"ok\":false,\"error\":...}.");
  cmd->callback([=, &exit_code] { exit_code = print_output(enable_real(*target, *json)); });
}

}  // namespace lvsctl
