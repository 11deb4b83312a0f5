#pragma once
// The kernel-table views and counters without the command line: `lvsctl list`,
// `lvsctl timeouts` and `lvsctl zero` against any IpvsBackend (NetlinkIpvs from main,
// FakeIpvs in tests). Each returns what it prints and its exit code.
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "descriptor_plan.h"
#include "ipvs/backend.h"

namespace lvsctl {

struct ListArgs {
  bool stats = false;
  bool rate = false;
  bool thresholds = false;
  bool persistent = false;   // --persistent-conn
  bool connections = false;  // -c: the connection table
  bool exact = false;
  bool json = false;
  std::string netns;
};

// Exit 0 shown; 2 the table (or connection table) cannot be read, or some lines of the
// connection table could not be read (the others are shown, the bad ones named on stderr).
CommandOutput list_view(const ListArgs& args, lvs::ipvs::IpvsBackend& backend);

struct TimeoutsArgs {
  std::optional<lvs::ipvs::Timeouts> set;  // --set TCP TCPFIN UDP (0 leaves one unchanged)
  bool json = false;
  std::string netns;
};

// Exit 0 shown (or set: nothing is printed, like ipvsadm --set); 2 cannot read or set.
CommandOutput timeouts_view(const TimeoutsArgs& args, lvs::ipvs::IpvsBackend& backend);

// Zeroes every counter, or one service's. Prints nothing; exit 0, or 2 with the
// kernel's error (ESRCH: no such service).
CommandOutput zero_counters(const std::optional<lvs::ipvs::ServiceKey>& service, lvs::ipvs::IpvsBackend& backend);

// A service on the command line: "tcp:192.0.2.10:25", "udp:[2001:db8::10]:53",
// "sctp:192.0.2.13:3868", "fwmark:7", "fwmark:8:inet6"; a space may stand for the
// first colon, so "tcp 192.0.2.10:25" and "fwmark 7 (inet6)" (as lvsctl prints them)
// work too. EINVAL with the accepted forms otherwise.
[[nodiscard]] lvs::Result<lvs::ipvs::ServiceKey> parse_service_arg(std::string_view text);

}  // namespace lvsctl
