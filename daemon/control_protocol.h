#pragma once
// The control socket's side of the protocol: who may ask what (SO_PEERCRED). The
// requests and replies themselves, and their JSON, are lib/control's (shared with
// lvsctl); they are named here too so the daemon's code reads lvsd::Request.
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "control/request.h"

namespace lvsd {

using lvs::control::Command;
using lvs::control::kMaxRequestBytes;
using lvs::control::parse_real_selector;
using lvs::control::parse_request;
using lvs::control::RealSelector;
using lvs::control::Request;
using lvs::control::to_string;

struct PeerCred {
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  std::vector<gid_t> groups;  // supplementary groups (SO_PEERGROUPS)
};

struct AccessPolicy {
  std::optional<gid_t> admin_group;
  std::optional<gid_t> read_group;
};

enum class Access { none, read, admin };
Access access_for(const PeerCred& peer, const AccessPolicy& policy);
// status, ha-status and events need read access; everything else admin.
bool allowed(Command command, Access access);

// {"ok":false,"error":"..."} as one line, without the newline.
std::string error_reply(const std::string& message);

}  // namespace lvsd
