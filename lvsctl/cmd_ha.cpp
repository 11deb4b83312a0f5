// lvsctl ha status|failover|resume: the peer heartbeat of lvsd. `failover` hands the VIPs
// to the other node at once (priority 0) and keeps this one standby until `resume`; it is
// refused (exit 2, nothing changed) when no standby has reported recently, unless --force.
#include <cstdio>

#include "commands.h"
#include "control/events.h"
#include "control/ha.h"
#include "control_client.h"
#include "daemon_commands.h"
#include "ha_text.h"

namespace lvsctl {

namespace {

// ha status --follow: the report, then one line per event until lvsd goes away.
void follow(const std::string& socket, bool as_json, int& exit_code) {
  exit_code = kExitError;
  auto client = ControlClient::connect(socket);
  if (!client) {
    std::fprintf(stderr, "lvsctl: %s\n", client.error().describe().c_str());
    return;
  }
  for (auto command : {lvs::control::Command::ha_status, lvs::control::Command::events}) {
    auto reply = client->request(lvs::control::request_for(command));
    if (!reply) {
      std::fprintf(stderr, "lvsctl: %s\n", reply.error().describe().c_str());
      return;
    }
    if (auto no = lvs::control::refusal(*reply)) {
      std::fprintf(stderr, "lvsctl: %s\n", no->error.c_str());
      return;  // kExitError, as every refusal
    }
    if (command == lvs::control::Command::events) break;
    auto ha = decode_reply(*reply, lvs::control::decode_ha);
    if (!ha) return;
    std::string out = as_json ? nlohmann::json(*ha).dump() + "\n" : ha_text(*ha);
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
  }
  for (;;) {
    auto event = client->next_line(std::chrono::hours(24));
    if (!event) {
      if (event.error().code == ETIMEDOUT) continue;
      std::fprintf(stderr, "lvsctl: %s\n", event.error().describe().c_str());
      return;
    }
    const std::string line = (as_json ? event->dump() : lvs::control::event_text(*event)) + "\n";
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fflush(stdout);
  }
}

}  // namespace

CommandOutput ha_request(const std::string& socket, lvs::control::Command command, bool json, bool force) {
  auto request = lvs::control::request_for(command);
  request.force = force;
  auto reply = call_daemon(socket, request);
  if (!reply) return {kExitError, "", ""};  // refused or unreachable, as for drain and enable
  auto ha = decode_reply(*reply, lvs::control::decode_ha);
  if (!ha) return {kExitError, "", ""};
  return {kExitOk, json ? nlohmann::json(*ha).dump(2) + "\n" : ha_text(*ha), ""};
}

void add_ha_command(CLI::App& app, int& exit_code) {
  auto* ha = app.add_subcommand("ha", "The VRRP peer heartbeat: status, planned hand-over, resume");
  ha->require_subcommand(1);
  auto socket = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  auto force = std::make_shared<bool>(false);
  struct Sub {
    const char* name;
    const char* help;
    lvs::control::Command command;
  };
  for (const Sub& s : {Sub{"status", "This node's state, priority, peer, timers, VIPs and advert counters",
                           lvs::control::Command::ha_status},
                       Sub{"failover", "Hand the VIPs to the other node now; stay standby until `ha resume`",
                           lvs::control::Command::ha_failover},
                       Sub{"resume", "Let this node take the VIPs back by priority again",
                           lvs::control::Command::ha_resume}}) {
    auto* cmd = ha->add_subcommand(s.name, s.help);
    add_socket_option(*cmd, *socket);
    cmd->add_flag("--json", *as_json, "print the HA report as JSON");
    cmd->footer(
        "Exit status: 0 done; 2 lvsd refused (it runs no HA, permission denied, or for failover: no standby "
        "heard from recently, see --force), lvsd unreachable, gone (--follow) or a bad reply.");
    if (s.command == lvs::control::Command::ha_failover)
      cmd->add_flag("--force", *force, "hand over even when no standby has reported recently");
    auto follow_on = std::make_shared<bool>(false);
    if (s.command == lvs::control::Command::ha_status)
      cmd->add_flag("--follow", *follow_on,
                    "then print each event (HA state change, health edge, drain/enable) as lvsd sends it");
    cmd->callback([socket, as_json, force, follow_on, command = s.command, &exit_code] {
      if (*follow_on) follow(*socket, *as_json, exit_code);
      else exit_code = print_output(ha_request(*socket, command, *as_json, *force));
    });
  }
}

}  // namespace lvsctl
