// lvsctl zero [SERVICE]: zero the IPVS counters of every service, or of one (like
// ipvsadm -Z [-t|-u|-f SERVICE]). Connection counts are not counters and stay.
#include "backend_open.h"
#include "commands.h"
#include "table_commands.h"

namespace lvsctl {

CommandOutput zero_counters(const std::optional<lvs::ipvs::ServiceKey>& service, lvs::ipvs::IpvsBackend& backend) {
  CommandOutput r;
  auto s = service ? backend.zero(*service) : backend.zero();
  if (!s) {
    r.exit_code = kExitError;
    r.err = "lvsctl: " + s.error().describe() + "\n";
    return r;
  }
  r.exit_code = kExitOk;
  return r;
}

void add_zero_command(CLI::App& app, int& exit_code) {
  auto text = std::make_shared<std::string>();
  auto netns = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("zero", "Zero the IPVS counters (packets, bytes, rates) of every service or of one");
  cmd->add_option("SERVICE", *text,
                  "Only this service: tcp:ADDR:PORT, udp:ADDR:PORT, sctp:ADDR:PORT ([V6]:PORT), fwmark:MARK[:inet6]");
  cmd->add_option("--netns", *netns, "Network namespace (as made by `ip netns add`)");
  cmd->footer("Prints nothing. Exit status: 0 zeroed; 2 bad SERVICE, no such service (ESRCH) or IPVS unreachable.");
  cmd->callback([text, netns, &exit_code] {
    std::optional<lvs::ipvs::ServiceKey> key;
    if (!text->empty()) {
      auto parsed = parse_service_arg(*text);
      if (!parsed) {
        exit_code = print_output({kExitError, "", "lvsctl: " + parsed.error().message + "\n"});
        return;
      }
      key = *parsed;
    }
    auto backend = open_backend(*netns);
    if (!backend) {
      exit_code = print_output({kExitError, "", open_failure(*netns, backend.error())});
      return;
    }
    exit_code = print_output(zero_counters(key, **backend));
  });
}

}  // namespace lvsctl
