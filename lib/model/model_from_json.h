#pragma once
// JSON -> Cluster. Tolerant: a field of the wrong type keeps its default (the schema
// check reports it); values the schema cannot judge (addresses, names of pools) are
// checked here and reported as findings.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/cluster.h"
#include "model/diagnostics.h"

namespace lvs::model {

Cluster model_from_json(const nlohmann::json& document, std::vector<Finding>& findings);

// The rule of the schema's "name" definition, for places the schema cannot check.
bool is_valid_name(const std::string& name);

}  // namespace lvs::model
