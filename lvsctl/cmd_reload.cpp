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
    auto reply = call_daemon(*socket, {{"command", "reload"}}, &refused, std::chrono::seconds(120));
    if (!reply) {
      exit_code = refused ? kExitDiffers : kExitError;
      return;
    }
    for (const auto& w : reply->value("warnings", nlohmann::json::array()))
      std::fprintf(stderr, "lvsctl: warning: %s\n", w.get<std::string>().c_str());
    for (const auto& e : reply->value("errors", nlohmann::json::array()))
      std::fprintf(stderr, "lvsctl: ipvs: %s\n", e.get<std::string>().c_str());
    std::printf("reloaded: %zu operations, %zu failed\n", reply->value("operations", std::size_t{0}),
                reply->value("failed", std::size_t{0}));
    exit_code = reply->value("failed", 0) == 0 ? kExitOk : kExitError;
  });
}

}  // namespace lvsctl
