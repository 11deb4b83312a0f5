#pragma once
// Cluster -> JSON in the descriptor's own shape (only what was written, defaults omitted
// where the descriptor left them out), so parse -> serialise -> parse is the identity.
#include <nlohmann/json.hpp>

#include "model/cluster.h"

namespace lvs::model {

nlohmann::ordered_json to_json(const Cluster& cluster);

}  // namespace lvs::model
