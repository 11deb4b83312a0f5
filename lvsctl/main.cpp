#include "commands.h"
#include "common/version.h"
#include "exit_codes.h"

int main(int argc, char** argv) {
  CLI::App app{"lvsctl: operate an IPVS load-balancer cluster described by one JSON file"};
  app.require_subcommand(1);
  int exit_code = lvsctl::kExitOk;
  lvsctl::add_validate_command(app, exit_code);
  lvsctl::add_list_command(app, exit_code);
  lvsctl::add_diff_command(app, exit_code);
  lvsctl::add_apply_command(app, exit_code);
  lvsctl::add_status_command(app, exit_code);
  lvsctl::add_drain_command(app, exit_code);
  lvsctl::add_enable_command(app, exit_code);
  lvsctl::add_check_command(app, exit_code);
  lvsctl::add_reload_command(app, exit_code);
  lvsctl::add_ha_command(app, exit_code);
  lvsctl::add_timeouts_command(app, exit_code);
  lvsctl::add_zero_command(app, exit_code);
  lvsctl::add_import_keepalived_command(app, exit_code);
  lvsctl::add_exit_code_help(app);
  app.set_version_flag("--version", lvs::version_line("lvsctl"), "Print the version and git revision, then exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : lvsctl::kExitError;
  }
  return exit_code;
}
