// lvsd: see daemon/README.md.
#include <exception>
#include <string>

#include "common/version.h"
#include "daemon/options.h"
#include "daemon/runtime.h"

int main(int argc, char** argv) {
  int exit_code = 0;
  auto options = lvsd::parse_cli(argc, argv, exit_code, lvs::version_line("lvsd"));
  if (!options) return exit_code;
  lvsd::StderrLogger log(options->log_level);
  try {
    return lvsd::run(*options, log);
  } catch (const std::exception& e) {
    // Not expected: every failure the code knows of ends in its own line and status.
    log.error(std::string("lvsd: fatal: ") + e.what());
  } catch (...) {
    log.error("lvsd: fatal: unknown exception");
  }
  return lvsd::kExitLoopFailed;
}
