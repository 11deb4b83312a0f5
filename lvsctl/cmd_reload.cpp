// lvsctl reload: lvsd loads the descriptor again; an invalid one is refused (exit 1)
// and the running configuration stays.
#include <cstdio>

#include "commands.h"
#include "control_client.h"

namespace lvsctl {

void add_reload_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("reload", "Make lvsd load its descriptor again");
  auto socket = std::make_shared<std::string>();
  add_socket_option(*cmd, *socket);
  cmd->callback([socket, &exit_code] {
    bool refused = false;
    auto reply = call_daemon(*socket, lvs::control::request_for(lvs::control::Command::reload), &refused,
                             std::chrono::seconds(120));
    if (!reply) {
      exit_code = refused ? kExitDiffers : kExitError;
      return;
    }
    auto done = decode_reply(*reply, lvs::control::decode_reload);
    if (!done) {
      exit_code = kExitError;
      return;
    }
    for (const auto& w : done->warnings) std::fprintf(stderr, "lvsctl: warning: %s\n", w.c_str());
    for (const auto& e : done->errors) std::fprintf(stderr, "lvsctl: ipvs: %s\n", e.c_str());
    std::printf("reloaded: %zu operations, %zu failed\n", done->operations, done->failed);
    exit_code = done->failed == 0 ? kExitOk : kExitError;
  });
}

}  // namespace lvsctl
