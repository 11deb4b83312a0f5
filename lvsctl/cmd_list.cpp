// lvsctl list: the kernel's IPVS table, as `ipvsadm -Ln` shows it, or as exact JSON.
#include <unistd.h>

#include "backend_open.h"
#include "commands.h"
#include "table_format.h"

namespace lvsctl {

namespace {

struct ListArgs {
  bool stats = false;
  bool rate = false;
  bool exact = false;
  bool json = false;
  std::string netns;
};

int run_list(const ListArgs& a) {
  auto backend = open_backend(a.netns);
  if (!backend) {
    print_error(a.netns.empty() ? "cannot open IPVS" : "cannot open IPVS in network namespace " + a.netns,
                backend.error());
    return kExitError;
  }
  auto info = (*backend)->info();
  if (!info) {
    print_error("cannot read IPVS info", info.error());
    return kExitError;
  }
  auto table = (*backend)->read_table();
  if (!table) {
    print_error("cannot read the IPVS table", table.error());
    return kExitError;
  }
  sort_table(*table);
  ListFormat format;
  format.exact = a.exact;
  if (a.stats) format.columns = ListColumns::stats;
  if (a.rate) format.columns = ListColumns::rate;
  const std::string text = a.json ? format_table_json(*info, *table) : format_table_text(*info, *table, format);
  if (!write_all(STDOUT_FILENO, text)) return kExitError;
  return kExitOk;
}

}  // namespace

void add_list_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ListArgs>();
  auto* cmd = app.add_subcommand("list", "Show the kernel's IPVS table (like ipvsadm -Ln)");
  auto* stats = cmd->add_flag("--stats", args->stats, "Counters: connections, packets, bytes");
  auto* rate = cmd->add_flag("--rate", args->rate, "Rates: connections, packets, bytes per second");
  stats->excludes(rate);
  cmd->add_flag("--exact", args->exact, "Counters in full, not abbreviated with K/M/G/T");
  cmd->add_flag("--json", args->json, "Every field with exact numbers, as JSON");
  cmd->add_option("--netns", args->netns, "Network namespace (as made by `ip netns add`)");
  cmd->callback([args, &exit_code] { exit_code = run_list(*args); });
}

}  // namespace lvsctl
