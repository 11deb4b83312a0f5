// lvsctl timeouts [--set TCP TCPFIN UDP]: the connection timeouts, as
// `ipvsadm -L --timeout` prints them; --set changes them like `ipvsadm --set`.
#include "backend_open.h"
#include "commands.h"
#include "table_commands.h"
#include "table_format.h"

namespace lvsctl {

CommandOutput timeouts_view(const TimeoutsArgs& a, lvs::ipvs::IpvsBackend& backend) {
  CommandOutput r;
  r.exit_code = kExitError;
  if (a.set) {
    if (auto s = backend.set_timeouts(*a.set); !s) {
      r.err = error_line("nothing changed", s.error());
      return r;
    }
    r.exit_code = kExitOk;
    return r;
  }
  auto t = backend.timeouts();
  if (!t) {
    r.err = error_line("cannot read the IPVS timeouts", t.error());
    return r;
  }
  r.out = a.json ? format_timeouts_json(*t) : format_timeouts_text(*t);
  r.exit_code = kExitOk;
  return r;
}

void add_timeouts_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<TimeoutsArgs>();
  auto values = std::make_shared<std::vector<std::uint32_t>>();
  auto* cmd = app.add_subcommand("timeouts", "Show the IPVS connection timeouts (like ipvsadm -L --timeout), or set them");
  auto* set = cmd->add_option("--set", *values, "Set the tcp, tcpfin and udp timeouts in seconds (0 leaves one as it is)")
                  ->expected(3);
  auto* json = cmd->add_flag("--json", args->json, "As JSON: {\"tcp_s\":..,\"tcp_fin_s\":..,\"udp_s\":..}");
  set->excludes(json);
  cmd->add_option("--netns", args->netns, "Network namespace (as made by `ip netns add`)");
  cmd->footer("Exit status: 0 shown (or set: prints nothing); 2 IPVS cannot be read, or the kernel refused the values\n"
              "(EINVAL: above its limit of INT_MAX jiffies; none is set then).");
  cmd->callback([args, values, &exit_code] {
    if (!values->empty()) args->set = lvs::ipvs::Timeouts{(*values)[0], (*values)[1], (*values)[2]};
    auto backend = open_backend(args->netns);
    if (!backend) {
      exit_code = print_output({kExitError, "", open_failure(args->netns, backend.error())});
      return;
    }
    exit_code = print_output(timeouts_view(*args, **backend));
  });
}

}  // namespace lvsctl
