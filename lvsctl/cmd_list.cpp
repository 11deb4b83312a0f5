// lvsctl list: the kernel's IPVS table, as `ipvsadm -Ln` shows it (with --stats, --rate,
// --thresholds or --persistent-conn), the connection table (-c, as `ipvsadm -Lnc`), or
// either as JSON.
#include "backend_open.h"
#include "commands.h"
#include "conn_format.h"
#include "table_commands.h"
#include "table_format.h"

namespace lvsctl {

namespace {

CommandOutput list_connections(const ListArgs& a, lvs::ipvs::IpvsBackend& backend) {
  CommandOutput r;
  r.exit_code = kExitError;
  auto table = backend.connections();
  if (!table) {
    r.err = error_line("cannot read the IPVS connection table", table.error());
    return r;
  }
  r.out = a.json ? format_connections_json(*table) : format_connections_text(*table, a.persistent);
  for (const auto& u : table->unreadable)
    r.err += "lvsctl: /proc/net/ip_vs_conn line " + std::to_string(u.line) + " not understood (" + u.reason +
             "): " + u.text + "\n";
  r.exit_code = table->unreadable.empty() ? kExitOk : kExitError;
  return r;
}

}  // namespace

CommandOutput list_view(const ListArgs& a, lvs::ipvs::IpvsBackend& backend) {
  if (a.connections) return list_connections(a, backend);
  CommandOutput r;
  r.exit_code = kExitError;
  auto info = backend.info();
  if (!info) {
    r.err = error_line("cannot read IPVS info", info.error());
    return r;
  }
  auto table = backend.read_table();
  if (!table) {
    r.err = error_line("cannot read the IPVS table", table.error());
    return r;
  }
  sort_table(*table);
  ListFormat format;
  format.exact = a.exact;
  if (a.stats) format.columns = ListColumns::stats;
  if (a.rate) format.columns = ListColumns::rate;
  if (a.thresholds) format.columns = ListColumns::thresholds;
  if (a.persistent) format.columns = ListColumns::persistent;
  r.out = a.json ? format_table_json(*info, *table) : format_table_text(*info, *table, format);
  r.exit_code = kExitOk;
  return r;
}

void add_list_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ListArgs>();
  auto* cmd = app.add_subcommand("list", "Show the kernel's IPVS table (like ipvsadm -Ln) or its connections (-c)");
  auto* stats = cmd->add_flag("--stats", args->stats, "Counters: connections, packets, bytes");
  auto* rate = cmd->add_flag("--rate", args->rate, "Rates: connections, packets, bytes per second");
  auto* thresholds = cmd->add_flag("--thresholds", args->thresholds, "Upper and lower connection thresholds");
  auto* persistent = cmd->add_flag("--persistent-conn", args->persistent,
                                   "Persistent connections per real; with -c, the persistence engine's data");
  auto* conns = cmd->add_flag("-c,--connections", args->connections,
                              "The connection table (like ipvsadm -Lnc), from /proc/net/ip_vs_conn");
  stats->excludes(rate)->excludes(thresholds)->excludes(persistent)->excludes(conns);
  rate->excludes(thresholds)->excludes(persistent)->excludes(conns);
  thresholds->excludes(persistent)->excludes(conns);
  cmd->add_flag("--exact", args->exact, "Counters in full, not abbreviated with K/M/G/T");
  cmd->add_flag("--json", args->json, "Every field with exact numbers, as JSON (with -c: every connection)");
  cmd->add_option("--netns", args->netns, "Network namespace (as made by `ip netns add`)");
  cmd->footer(
      "Exit status: 0 shown; 2 IPVS cannot be read (not loaded, no permission, no such namespace), or some\n"
      "lines of the connection table could not be read (the others are shown, the bad ones named on stderr).");
  cmd->callback([args, &exit_code] {
    auto backend = open_backend(args->netns);
    if (!backend) {
      exit_code = print_output({kExitError, "", open_failure(args->netns, backend.error())});
      return;
    }
    exit_code = print_output(list_view(*args, **backend));
  });
}

}  // namespace lvsctl
