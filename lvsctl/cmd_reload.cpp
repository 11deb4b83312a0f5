// lvsctl reload: lvsd loads the descriptor again; an invalid one is refused (exit 1)
// and the running configuration stays.
#include "commands.h"
#include "daemon_commands.h"

namespace lvsctl {

CommandOutput reload_daemon(const std::string& socket, bool json) {
  bool refused = false;
  lvs::control::ErrorReply failure;
  auto reply = call_daemon(socket, lvs::control::request_for(lvs::control::Command::reload), &refused,
                           std::chrono::seconds(120), &failure);
  if (!reply) return {refused ? kExitDiffers : kExitError, json ? failure_document(failure) : "", ""};
  auto done = decode_reply(*reply, lvs::control::decode_reload, &failure);
  if (!done) return {kExitError, json ? failure_document(failure) : "", ""};
  CommandOutput r;
  r.exit_code = done->failed == 0 ? kExitOk : kExitError;
  if (json) {
    r.out = json_document(nlohmann::json(*done));
    return r;
  }
  for (const auto& w : done->warnings) r.err += "lvsctl: warning: " + w + "\n";
  for (const auto& e : done->errors) r.err += "lvsctl: ipvs: " + e + "\n";
  r.out = "reloaded: " + std::to_string(done->operations) + " operations, " + std::to_string(done->failed) + " failed\n";
  return r;
}

void add_reload_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("reload", "Make lvsd load its descriptor again");
  auto socket = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  add_socket_option(*cmd, *socket);
  cmd->add_flag("--json", *json,
                "lvsd's reply as JSON: {\"ok\":true,\"operations\":N,\"failed\":N,\"errors\":[],\"warnings\":[]}");
  cmd->footer("Exit status: 0 reloaded; 1 refused (invalid descriptor: the previous one keeps running); 2 some\n"
              "operations failed, lvsd unreachable or a bad reply. With --json stdout holds one document; a\n"
              "refusal is {\"ok\":false,\"error\":...,\"errors\":[...]}.");
  cmd->callback([socket, json, &exit_code] { exit_code = print_output(reload_daemon(*socket, *json)); });
}

}  // namespace lvsctl
