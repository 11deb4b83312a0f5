// lvsctl check REAL [--service NAME]: lvsd runs the real's probe now; prints the result
// and the dialogue. Exit 1 when a check fails.
#include "commands.h"
#include "daemon_commands.h"

namespace lvsctl {

namespace {

std::string check_text(const lvs::control::CheckReply& checks) {
  std::string out;
  char buf[64];
  for (const auto& c : checks.checks) {
    out += c.service + " " + c.real + ": ";
    if (!c.ok) {
      out += c.message + "\n";
      continue;
    }
    std::snprintf(buf, sizeof buf, "%.1f", c.latency_ms);
    out += c.probe.value_or("") + (*c.ok ? " passed" : " FAILED") + " in " + buf + " ms: " + c.message + "\n";
    const std::string& t = c.transcript;
    std::size_t start = 0;
    while (start < t.size()) {
      std::size_t nl = t.find('\n', start);
      out += "    " + t.substr(start, nl == std::string::npos ? std::string::npos : nl - start) + "\n";
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
  }
  return out;
}

}  // namespace

CommandOutput check_real(const RealTarget& target, bool json) {
  lvs::control::ErrorReply failure;
  auto reply = call_daemon(target.socket, real_request(lvs::control::Command::check, target), nullptr,
                           std::chrono::seconds(120), &failure);
  auto checks = reply ? decode_reply(*reply, lvs::control::decode_check, &failure) : std::nullopt;
  if (!checks) return {kExitError, json ? failure_document(failure) : "", ""};
  bool all_ok = true;
  for (const auto& c : checks->checks)
    if (c.ok == false) all_ok = false;  // a real without a check (ok null) is no failure
  return {all_ok ? kExitOk : kExitDiffers, json ? json_document(nlohmann::json(*checks)) : check_text(*checks), ""};
}

void add_check_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("check", "Run a real's health check now and show the dialogue");
  auto target = std::make_shared<RealTarget>();
  auto json = std::make_shared<bool>(false);
  add_real_target_options(*cmd, *target);
  cmd->add_flag("--json", *json,
                "lvsd's reply as JSON: {\"ok\":true,\"checks\":[{\"service\",\"real\",\"probe\",\"ok\",\"message\","
                "\"latency_ms\",\"transcript\"}]}");
  cmd->footer("Exit status: 0 every check passed; 1 a check failed; 2 refused (no such\n"
              "real), lvsd unreachable or a bad reply. With --json stdout holds one document, on failure\n"
              "{\"ok\":false,\"error\":...}.");
  cmd->callback([=, &exit_code] { exit_code = print_output(check_real(*target, *json)); });
}

}  // namespace lvsctl
