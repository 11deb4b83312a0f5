#include "daemon/options.h"

#include <CLI/CLI.hpp>

#include "daemon/metrics_server.h"

namespace lvsd {

std::optional<CliOptions> parse_cli(int argc, char** argv, int& exit_code, const std::string& version) {
  CliOptions o;
  std::string level = "info";
  CLI::App app{"lvsd: keeps the IPVS table true to the cluster descriptor and the health of the real servers"};
  app.add_option("--config", o.config, "cluster descriptor (JSON)")->required();
  app.add_option("--state-dir", o.state_dir, "ownership record and admin state")->capture_default_str();
  app.add_option("--netns", o.netns, "program the IPVS table of network namespace /run/netns/NAME");
  app.add_option("--node", o.node, "this balancer's node name");
  app.add_option("--control-socket", o.control_socket, "Unix socket for lvsctl")->capture_default_str();
  app.add_option("--admin-group", o.admin_group, "group whose members may change things (root always may)");
  app.add_option("--read-group", o.read_group, "group whose members may read the status");
  app.add_option("--schema", o.schema, "descriptor schema file (default: the schema compiled into lvsd)");
  app.add_option("--metrics", o.metrics, "serve Prometheus metrics at http://ADDRESS:PORT/metrics (off by default)");
  app.add_option("--retire-deadline", o.retire_deadline_s,
                 "seconds a service or real that a reload removed keeps its connections (weight 0) before it is "
                 "deleted with whatever is left")
      ->capture_default_str()
      ->check(CLI::Range(1u, 86400u));
  app.add_option("--log-level", level, "error, warning, notice, info or debug")->capture_default_str();
  if (!version.empty()) app.set_version_flag("--version", version, "print the version and git revision, then exit");
  app.footer(
      "Exit status: 0 stopped by SIGTERM or SIGINT (the IPVS table is left in place), 1 the descriptor is invalid "
      "at start, 2 anything else that stops the start (IPVS unreachable, state folder or control socket unusable, "
      "unknown group, another lvsd holds the table; also bad arguments), 3 the running loop broke.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    exit_code = app.exit(e) == 0 ? 0 : 2;
    return std::nullopt;
  }
  if (!parse_level(level, o.log_level)) {
    std::fprintf(stderr, "lvsd: unknown log level \"%s\"\n", level.c_str());
    exit_code = 2;
    return std::nullopt;
  }
  if (!o.metrics.empty()) {
    if (auto at = parse_listen_address(o.metrics); !at) {
      std::fprintf(stderr, "lvsd: %s\n", at.error().message.c_str());
      exit_code = 2;
      return std::nullopt;
    }
  }
  return o;
}

}  // namespace lvsd
