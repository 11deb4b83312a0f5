#pragma once
// The daemon's drains part: the operator's admin state (admin_state.h), its file, and
// following each draining real's connection counts until it is drained. What runs is
// always what is on disk: a change that cannot be saved is not made.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "daemon/admin_state.h"
#include "daemon/log.h"

namespace lvsd {

// A (service, real) pair as a drain names it.
struct DrainTarget {
  std::string service;
  lvs::ipvs::DestKey real;
};

class Drains {
 public:
  Drains(std::string file, Logger& log) : file_(std::move(file)), log_(log) {}

  // Reads the file (missing: nothing drained). A corrupt one is an error: refusing to
  // start is safer than putting drained reals back in.
  [[nodiscard]] lvs::Status load();

  const AdminState& state() const { return state_; }
  const std::string& file() const { return file_; }
  // "enabled", "draining" or "drained".
  std::string word(const std::string& service, const lvs::ipvs::DestKey& real) const;
  bool any_draining() const;

  // Drains (drain = true) or enables the targets and saves. Returns how many changed;
  // when the file cannot be written, nothing changes and the error says why.
  [[nodiscard]] lvs::Result<std::size_t> set(const std::vector<DrainTarget>& targets, bool drain, std::int64_t now,
                                             std::uint32_t deadline_s);

  // Connections a draining real still has; nullopt when that is not known yet (its
  // weight 0 has not reached the kernel, or the pair is not in the descriptor).
  using ConnectionsLeft = std::function<std::optional<std::uint64_t>(const DrainEntry&)>;
  // Marks drained each draining real with no connections left or past its deadline.
  // Returns true when something changed (saved; a failed save is logged).
  bool update(std::int64_t now, const ConnectionsLeft& left);

  // Forgets drains whose pair `keep` rejects (a reload removed it). True when any.
  bool forget_unless(const std::function<bool(const DrainEntry&)>& keep);

 private:
  void save();

  std::string file_;
  Logger& log_;
  AdminState state_;
};

}  // namespace lvsd
