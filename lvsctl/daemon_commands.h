#pragma once
// drain, enable, check, reload and ha without the command line: each asks lvsd over its
// control socket and returns what it prints and its exit code (tests run them against
// the daemon core behind a real socket). With `json`, `out` is always exactly one
// document (control_client.h: json_document / failure_document).
#include <string>

#include "control_client.h"
#include "descriptor_plan.h"

namespace lvsctl {

struct DrainArgs {
  RealTarget target;
  bool wait = false;
  unsigned timeout_s = 0;
  bool json = false;
};

// Exit 0 drain started (with --wait: drained); 1 --wait gave up (still draining after
// the timeout); 2 refused (no such real), lvsd unreachable or a bad reply. Text output
// with --wait prints its progress lines to stdout as they come.
CommandOutput drain_real(const DrainArgs& args);
// "SERVICE REAL: ADMIN" lines, as drain and enable print them.
std::string admin_text(const lvs::control::AdminReply& admin);

// Exit 0 enabled; 2 refused, lvsd unreachable or a bad reply.
CommandOutput enable_real(const RealTarget& target, bool json);
// Exit 0 no check failed; 1 a check failed; 2 refused,
// unreachable or a bad reply.
CommandOutput check_real(const RealTarget& target, bool json);
// Exit 0 reloaded; 1 refused (invalid descriptor: the previous one keeps running);
// 2 some operations failed, lvsd unreachable or a bad reply.
CommandOutput reload_daemon(const std::string& socket, bool json);
// ha status|failover|resume (`command`), once (not --follow). Exit 0 done; 2 refused
// (no HA, permission denied, failover with no standby heard and no `force`), lvsd
// unreachable or a bad reply.
CommandOutput ha_request(const std::string& socket, lvs::control::Command command, bool json, bool force);

}  // namespace lvsctl
