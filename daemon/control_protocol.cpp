#include "daemon/control_protocol.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "control/replies.h"

namespace lvsd {

Access access_for(const PeerCred& peer, const AccessPolicy& policy) {
  if (peer.uid == 0) return Access::admin;
  auto member = [&](gid_t g) {
    return peer.gid == g || std::find(peer.groups.begin(), peer.groups.end(), g) != peer.groups.end();
  };
  if (policy.admin_group && member(*policy.admin_group)) return Access::admin;
  if (policy.read_group && member(*policy.read_group)) return Access::read;
  return Access::none;
}

bool allowed(Command command, Access access) {
  if (access == Access::admin) return true;
  if (access == Access::read) return command == Command::status || command == Command::ha_status || command == Command::events;
  return false;
}

std::string error_reply(const std::string& message) {
  nlohmann::json j = lvs::control::ErrorReply{message, {}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace lvsd
