#pragma once
// The meaning checks that a schema cannot express. Each reports every problem it finds.
#include <vector>

#include "model/cluster.h"
#include "model/diagnostics.h"

namespace lvs::model {

struct SemanticOptions {
  // Secret files (HMAC key, check credentials) that are missing or readable by others
  // are errors for the daemon (it needs them) and warnings for lvsctl validate (which
  // may run on another machine).
  bool key_file_problems_are_errors = false;
};

void check_semantics(const Cluster& cluster, const SemanticOptions& options,
                     std::vector<Finding>& findings);

}  // namespace lvs::model
