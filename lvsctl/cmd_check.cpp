// lvsctl check REAL [--service NAME]: lvsd runs the real's probe now; prints the result
// and the dialogue. Exit 1 when a check fails.
#include <cstdio>

#include "commands.h"
#include "control_client.h"

namespace lvsctl {

void add_check_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("check", "Run a real's health check now and show the dialogue");
  auto target = std::make_shared<RealTarget>();
  add_real_target_options(*cmd, *target);
  cmd->callback([=, &exit_code] {
    auto reply = call_daemon(target->socket, real_request(lvs::control::Command::check, *target), nullptr,
                             std::chrono::seconds(120));
    auto checks = reply ? decode_reply(*reply, lvs::control::decode_check) : std::nullopt;
    if (!checks) {
      exit_code = kExitError;
      return;
    }
    bool all_ok = true;
    for (const auto& c : checks->checks) {
      if (c.ok == false) all_ok = false;
      std::printf("%s %s: ", c.service.c_str(), c.real.c_str());
      if (!c.ok) {
        std::printf("%s\n", c.message.c_str());
        continue;
      }
      std::printf("%s %s in %.1f ms: %s\n", c.probe.value_or("").c_str(), *c.ok ? "passed" : "FAILED", c.latency_ms,
                  c.message.c_str());
      const std::string& t = c.transcript;
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
