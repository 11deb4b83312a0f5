// lvsd: see daemon/README.md.
#include "daemon/options.h"
#include "daemon/runtime.h"

int main(int argc, char** argv) {
  int exit_code = 0;
  auto options = lvsd::parse_cli(argc, argv, exit_code);
  if (!options) return exit_code;
  lvsd::StderrLogger log(options->log_level);
  return lvsd::run(*options, log);
}
