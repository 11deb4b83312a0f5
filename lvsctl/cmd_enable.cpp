// lvsctl enable REAL [--service NAME]: end a drain; the configured weight returns once
// the real is healthy.
#include <cstdio>

#include "commands.h"
#include "control_client.h"

namespace lvsctl {

void add_enable_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("enable", "Put a drained real back in service");
  auto real = std::make_shared<std::string>();
  auto service = std::make_shared<std::string>();
  auto socket = std::make_shared<std::string>();
  cmd->add_option("real", *real, "ADDR (every port), ADDR:PORT or [V6]:PORT")->required();
  cmd->add_option("--service", *service, "only this service");
  add_socket_option(*cmd, *socket);
  cmd->callback([=, &exit_code] {
    nlohmann::json req{{"command", "enable"}, {"real", *real}};
    if (!service->empty()) req["service"] = *service;
    auto reply = call_daemon(*socket, req);
    if (!reply) {
      exit_code = kExitError;
      return;
    }
    for (const auto& r : (*reply)["reals"])
      std::printf("%s %s: %s\n", r.value("service", "").c_str(), r.value("real", "").c_str(),
                  r.value("admin", "").c_str());
    exit_code = kExitOk;
  });
}

}  // namespace lvsctl
