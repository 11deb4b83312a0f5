// lvsctl import-keepalived FILE: convert a keepalived.conf into a cluster descriptor.
#include <memory>

#include "commands.h"
#include "import_keepalived.h"
#include "model/loader.h"

namespace lvsctl {

CommandOutput import_keepalived_command(const ImportArgs& a) {
  namespace ka = lvs::keepalived;
  CommandOutput r;
  lvs::Result<ka::SourceFile> top = ka::RealFileSource::open(a.file);
  if (!top) {
    r.err = "lvsctl: cannot read " + a.file + ": " + top.error().describe() + "\n";
    r.exit_code = kExitError;
    return r;
  }
  ka::RealFileSource files;
  ka::ParseOptions parse;
  parse.config_id = a.config_id;
  ka::ImportResult result = ka::import_keepalived(*top, files, parse, a.options);
  for (const ka::Note& w : result.warnings) r.err += w.to_string("warning") + "\n";
  if (!result.ok()) {
    r.err += result.error->to_string("error") + "\n";
    r.exit_code = kExitError;
    return r;
  }
  // Invalid UTF-8 in a quoted keepalived string becomes U+FFFD rather than an exception.
  r.out = result.descriptor.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
  lvs::model::LoadOptions load;
  load.schema_path = a.schema;
  lvs::model::LoadResult check = lvs::model::load_cluster_text(r.out, "<converted " + a.file + ">", load);
  for (const auto& d : check.diagnostics)
    if (d.severity == lvs::model::Severity::error) r.err += d.to_string() + "\n";
  r.err += a.file + ": " + std::to_string(result.warnings.size()) + " warning(s); the descriptor " +
           (check.ok() ? "validates" : "does NOT validate") + "\n";
  r.exit_code = check.ok() ? kExitOk : kExitDiffers;
  return r;
}

void add_import_keepalived_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<ImportArgs>();
  auto peer_priority = std::make_shared<int>(0);
  CLI::App* cmd = app.add_subcommand(
      "import-keepalived",
      "Convert a keepalived.conf (virtual servers, vrrp_instance) into a cluster descriptor on stdout; "
      "each keepalived option that cannot be carried is named on stderr with its line");
  cmd->add_option("FILE", a->file, "keepalived.conf (includes are followed)")->required();
  cmd->add_option("--config-id", a->config_id, "keepalived's -i: which @ID conditional lines apply");
  cmd->add_option("--cluster", a->options.cluster, "Cluster name (default: router_id, else keepalived)");
  cmd->add_option("--node-name", a->options.node_name, "This node's name (default: router_id, else lb1)");
  cmd->add_option("--node-address", a->options.node_address,
                  "This node's address (default: unicast_src_ip / mcast_src_ip)");
  cmd->add_option("--peer-name", a->options.peer_name, "The peer's name (default: lb2)");
  cmd->add_option("--peer-address", a->options.peer_address, "The peer's address (default: the first unicast_peer)");
  cmd->add_option("--peer-priority", *peer_priority, "The peer's VRRP priority (default: invented, with a warning)")
      ->check(CLI::Range(1, 254));
  cmd->add_option("--schema", a->schema, "Schema for validating the result (default: as lvsctl validate)");
  cmd->footer("Exit status: 0 converted and valid (warnings allowed), 1 converted but not valid, 2 cannot read or "
              "convert.");
  cmd->callback([a, peer_priority, &exit_code] {
    ImportArgs args = *a;
    if (*peer_priority) args.options.peer_priority = *peer_priority;
    exit_code = print_output(import_keepalived_command(args));
  });
}

}  // namespace lvsctl
