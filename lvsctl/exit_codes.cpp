#include "exit_codes.h"

#include <map>

namespace lvsctl {

std::string exit_code_help(const std::string& subcommand) {
  // 0/1/2 are kExitOk/kExitDiffers/kExitError (commands.h). A new subcommand adds a line.
  static const std::map<std::string, std::string> meaning = {
      {"validate", "0 valid (warnings allowed), 1 invalid, 2 the file or --schema cannot be read or bad arguments"},
      {"list", "0 listed, 2 the table cannot be read or bad arguments"},
      {"diff", "0 the table matches the descriptor, 1 something differs, 2 invalid descriptor, table unreadable or bad arguments"},
      {"apply", "0 applied, 2 invalid descriptor, the kernel refused an operation, lvsd holds the table, or bad arguments"},
      {"status", "0 shown, 2 cannot reach lvsd, permission denied, or bad arguments"},
      {"drain", "0 draining (or drained with --wait), 1 --wait timed out with connections left, 2 refused, cannot reach lvsd, or bad arguments"},
      {"enable", "0 enabled, 2 refused, cannot reach lvsd, or bad arguments"},
      {"check", "0 every probe succeeded, 1 a probe failed, 2 refused, cannot reach lvsd, or bad arguments"},
      {"reload", "0 reloaded, 1 lvsd refused the descriptor (it keeps the running one), 2 the kernel refused an operation, cannot reach lvsd, or bad arguments"},
      {"ha", "0 done, 2 refused (no ha section, permission denied, failover with no standby heard), cannot reach lvsd, or bad arguments"},
  };
  auto it = meaning.find(subcommand);
  return it == meaning.end() ? std::string() : "Exit status: " + it->second + ".";
}

void add_exit_code_help(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands({})) {
    std::string text = exit_code_help(sub->get_name());
    if (!text.empty()) sub->footer(text);
  }
  app.footer("Exit status: 0 success, 1 the subcommand's negative answer (invalid, differs, descriptor refused by "
             "reload, failed), 2 an error, a request lvsd refused, or bad arguments; each subcommand's --help says which.");
}

}  // namespace lvsctl
