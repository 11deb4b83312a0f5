#pragma once
// STATE_DIR/ha.json: what the HA part must remember across restarts (PersistentHa):
// our HMAC epoch, the operator's hold after `lvsctl ha failover`, each peer's last epoch.
// Written through the file layer (atomic, private folder); a corrupt file is an error
// naming the field, never a guess, because a wrong epoch would reuse HMAC counters.
#include <string>
#include <string_view>

#include "common/result.h"
#include "ha/ha_node.h"

namespace lvs::ha {

inline constexpr std::size_t kMaxHaStateBytes = 64 * 1024;

std::string ha_state_path(const std::string& state_dir, const std::string& netns);
std::string to_json(const PersistentHa& state);
[[nodiscard]] Result<PersistentHa> ha_state_from_json(std::string_view text, const std::string& origin);
// A missing file is a first start (empty state).
[[nodiscard]] Result<PersistentHa> load_ha_state(const std::string& path);
[[nodiscard]] Status save_ha_state(const std::string& path, const PersistentHa& state);

}  // namespace lvs::ha
