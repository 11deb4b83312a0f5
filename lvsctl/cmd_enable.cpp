// lvsctl enable REAL [--service NAME]: end a drain; the configured weight returns once
// the real is healthy.
#include <cstdio>

#include "commands.h"
#include "control_client.h"

namespace lvsctl {

void add_enable_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("enable", "Put a drained real back in service");
  auto target = std::make_shared<RealTarget>();
  add_real_target_options(*cmd, *target);
  cmd->callback([=, &exit_code] {
    auto reply = call_daemon(target->socket, real_request(lvs::control::Command::enable, *target));
    auto admin = reply ? decode_reply(*reply, lvs::control::decode_admin) : std::nullopt;
    if (!admin) {
      exit_code = kExitError;
      return;
    }
    for (const auto& r : admin->reals) std::printf("%s %s: %s\n", r.service.c_str(), r.real.c_str(), r.admin.c_str());
    exit_code = kExitOk;
  });
}

}  // namespace lvsctl
