// lvsctl validate FILE [--json]: schema and meaning checks of a descriptor, then a summary.
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "model/loader.h"
#include "model/summary.h"

namespace lvsctl {
namespace {

struct ValidateOptions {
  std::string file;
  std::string schema;
  bool json = false;
};

nlohmann::ordered_json diagnostic_json(const lvs::model::Diagnostic& d) {
  nlohmann::ordered_json j;
  j["severity"] = d.severity == lvs::model::Severity::error ? "error" : "warning";
  j["file"] = d.file;
  j["line"] = d.line;
  j["column"] = d.column;
  j["pointer"] = d.pointer;
  j["message"] = d.message;
  return j;
}

int run_validate(const ValidateOptions& o) {
  lvs::model::LoadOptions load;
  load.mode = lvs::model::LoadMode::validate;
  load.schema_path = o.schema;
  lvs::model::LoadResult r = lvs::model::load_cluster_file(o.file, load);
  int rc = r.read_failed ? kExitError : (r.ok() ? kExitOk : kExitDiffers);
  std::size_t errors = lvs::model::count(r.diagnostics, lvs::model::Severity::error);
  std::size_t warnings = lvs::model::count(r.diagnostics, lvs::model::Severity::warning);

  if (o.json) {
    nlohmann::ordered_json out;
    out["file"] = o.file;
    out["valid"] = rc == kExitOk;
    out["errors"] = errors;
    out["warnings"] = warnings;
    out["diagnostics"] = nlohmann::ordered_json::array();
    for (const auto& d : r.diagnostics) out["diagnostics"].push_back(diagnostic_json(d));
    if (r.cluster) out["summary"] = lvs::model::to_json(lvs::model::summarize(*r.cluster));
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return rc;
  }
  for (const auto& d : r.diagnostics) std::cerr << d.to_string() << "\n";
  if (rc == kExitOk) {
    std::cout << o.file << ": valid";
    if (warnings) std::cout << " (" << warnings << (warnings == 1 ? " warning)" : " warnings)");
    std::cout << "\n" << lvs::model::to_text(lvs::model::summarize(*r.cluster));
  } else if (rc == kExitDiffers) {
    std::cerr << o.file << ": invalid: " << errors << (errors == 1 ? " error" : " errors");
    if (warnings) std::cerr << ", " << warnings << (warnings == 1 ? " warning" : " warnings");
    std::cerr << "\n";
  }
  return rc;
}

}  // namespace

void add_validate_command(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<ValidateOptions>();
  CLI::App* cmd = app.add_subcommand(
      "validate", "Check a cluster descriptor against the schema and for meaning; print a summary");
  cmd->add_option("FILE", opts->file, "The JSON cluster descriptor")->required();
  cmd->add_flag("--json", opts->json, "Print the summary and the diagnostics as JSON");
  cmd->add_option("--schema", opts->schema,
                  "Schema file (default: the schema compiled into lvsctl)");
  cmd->footer("Exit status: 0 valid (warnings allowed), 1 invalid, 2 cannot read or usage error.");
  cmd->callback([opts, &exit_code] { exit_code = run_validate(*opts); });
}

}  // namespace lvsctl
