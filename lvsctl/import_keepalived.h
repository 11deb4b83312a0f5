#pragma once
// `lvsctl import-keepalived FILE` without the command line: the descriptor on stdout, one
// warning line per keepalived option not carried on stderr, and the descriptor's own
// validation (schema and meaning) so what it prints is known to load.
#include <string>

#include "descriptor_plan.h"
#include "keepalived/convert.h"

namespace lvsctl {

struct ImportArgs {
  std::string file;
  std::string config_id;  // keepalived -i
  std::string schema;     // for the validation of the result; empty: the default search
  lvs::keepalived::ImportOptions options;
};

// Exit 0 converted and valid (warnings allowed); 1 converted but the descriptor does not
// validate (it is still printed, with the validation's findings); 2 unreadable or not a
// keepalived configuration (nothing printed on stdout).
CommandOutput import_keepalived_command(const ImportArgs& args);

}  // namespace lvsctl
