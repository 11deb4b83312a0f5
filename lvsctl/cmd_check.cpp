// lvsctl check REAL [--service NAME]: lvsd runs the real's probe now; prints the result
// and the dialogue. Exit 1 when a check fails.
#include <cstdio>

#include "commands.h"
#include "control_client.h"

namespace lvsctl {

void add_check_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("check", "Run a real's health check now and show the dialogue");
  auto real = std::make_shared<std::string>();
  auto service = std::make_shared<std::string>();
  auto socket = std::make_shared<std::string>();
  cmd->add_option("real", *real, "ADDR (every port), ADDR:PORT or [V6]:PORT")->required();
  cmd->add_option("--service", *service, "only this service");
  add_socket_option(*cmd, *socket);
  cmd->callback([=, &exit_code] {
    nlohmann::json req{{"command", "check"}, {"real", *real}};
    if (!service->empty()) req["service"] = *service;
    auto reply = call_daemon(*socket, req, nullptr, std::chrono::seconds(120));
    if (!reply) {
      exit_code = kExitError;
      return;
    }
    bool all_ok = true;
    for (const auto& c : (*reply)["checks"]) {
      const bool has = c.contains("ok") && c["ok"].is_boolean();
      const bool ok = has && c["ok"].get<bool>();
      if (has && !ok) all_ok = false;
      std::printf("%s %s: ", c.value("service", "").c_str(), c.value("real", "").c_str());
      if (!has) {
        std::printf("%s\n", c.value("message", "").c_str());
        continue;
      }
      std::printf("%s %s in %.1f ms: %s\n", c.value("probe", "").c_str(), ok ? "passed" : "FAILED",
                  c.value("latency_ms", 0.0), c.value("message", "").c_str());
      std::string t = c.value("transcript", "");
      std::size_t start = 0;
      while (start < t.size()) {
        std::size_t nl = t.find('\n', start);
        std::string l = t.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
        std::printf("    %s\n", l.c_str());
        if (nl == std::string::npos) break;
        start = nl + 1;
      }
    }
    exit_code = all_ok ? kExitOk : kExitDiffers;
  });
}

}  // namespace lvsctl
