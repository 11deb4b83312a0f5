#pragma once
// The operator's admin state: which (service, real) pairs are drained. A drain names
// concrete pairs (resolved when the command runs); a pair that is not listed is enabled.
// Kept in STATE_DIR/admin.json so a restart never re-enables a drained real.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "ipvs/types.h"

namespace lvsd {

struct DrainEntry {
  std::string service;         // the expanded service name, e.g. "research/25"
  lvs::ipvs::DestKey real;     // address and resolved port
  std::int64_t since = 0;      // unix seconds when the drain was asked for
  std::uint32_t deadline_s = 0;           // 0: wait for the counts alone
  std::optional<std::int64_t> drained_at;  // unix seconds; set once drained
  std::string drained_note;               // e.g. "deadline passed with 3 connections left"
  bool operator==(const DrainEntry&) const = default;
};

struct AdminState {
  std::vector<DrainEntry> drains;

  const DrainEntry* find(const std::string& service, const lvs::ipvs::DestKey& real) const;
  DrainEntry* find(const std::string& service, const lvs::ipvs::DestKey& real);
  // Returns true when something changed.
  bool drain(const std::string& service, const lvs::ipvs::DestKey& real, std::int64_t now, std::uint32_t deadline_s);
  bool enable(const std::string& service, const lvs::ipvs::DestKey& real);
  bool operator==(const AdminState&) const = default;
};

// Finds drains by (service, real) in O(log n), for callers that ask about every pair:
// building the overlay with 10,000 services x 4 reals all drained would otherwise scan
// 40,000 entries 40,000 times inside lvsd's event loop. Valid while `state` is unchanged.
class DrainIndex {
 public:
  explicit DrainIndex(const AdminState& state);
  const DrainEntry* find(const std::string& service, const lvs::ipvs::DestKey& real) const;
  // Entries compared so far: lets a test show the work grows as n log n, not n squared.
  std::uint64_t comparisons() const { return comparisons_; }

 private:
  std::vector<const DrainEntry*> sorted_;  // by (service, real); the first of equal ones
  mutable std::uint64_t comparisons_ = 0;
};

// The cap on admin.json, for reading and writing alike (a state lvsd could save but not
// load again would stop it from starting). 10,000 services x 4 reals, all drained with a
// note, take about 10 MiB.
inline constexpr std::size_t kMaxAdminStateBytes = 64u * 1024 * 1024;

// STATE_DIR/admin.json, or STATE_DIR/admin.netns-NAME.json for a named namespace.
std::string admin_state_path(const std::string& state_dir, const std::string& netns);
std::string to_json(const AdminState& state);
[[nodiscard]] lvs::Result<AdminState> admin_state_from_json(std::string_view text, const std::string& origin);
// A missing file is an empty state (first run); a corrupt one, a field of the wrong type,
// or a folder other users can write to is an error naming the file and the field.
[[nodiscard]] lvs::Result<AdminState> load_admin_state(const std::string& path);
// Atomic (see lvs::write_file_atomic). Fails with a clear error, leaving the old file, when
// the folder is unsafe or unwritable or the text would exceed kMaxAdminStateBytes.
[[nodiscard]] lvs::Status save_admin_state(const std::string& path, const AdminState& state);

}  // namespace lvsd
