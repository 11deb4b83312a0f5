// lvsctl ha status|failover|resume: the peer heartbeat of lvsd. `failover` hands the VIPs
// to the other node at once (priority 0) and keeps this one standby until `resume`; it is
// refused (exit 1, nothing changed) when no standby has reported recently, unless --force.
#include <cstdio>

#include "commands.h"
#include "control/ha.h"
#include "control_client.h"
#include "ha_text.h"

namespace lvsctl {

namespace {

void ha_call(const std::string& socket, lvs::control::Command command, bool as_json, bool force, int& exit_code) {
  auto request = lvs::control::request_for(command);
  request.force = force;
  bool refused = false;
  auto reply = call_daemon(socket, request, &refused);
  if (!reply) {
    exit_code = refused ? kExitDiffers : kExitError;
    return;
  }
  auto ha = decode_reply(*reply, lvs::control::decode_ha);
  if (!ha) {
    exit_code = kExitError;
    return;
  }
  std::string out = as_json ? nlohmann::json(*ha).dump(2) + "\n" : ha_text(*ha);
  std::fwrite(out.data(), 1, out.size(), stdout);
  exit_code = kExitOk;
}

}  // namespace

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
    cmd->footer("Exit status: 0 done; 2 lvsd unreachable, refused (it runs no HA) or a bad reply.");
    if (s.command == lvs::control::Command::ha_failover)
      cmd->add_flag("--force", *force, "hand over even when no standby has reported recently");
    cmd->callback([socket, as_json, force, command = s.command, &exit_code] {
      ha_call(*socket, command, *as_json, *force, exit_code);
    });
  }
}

}  // namespace lvsctl
