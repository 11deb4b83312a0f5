#pragma once
// Which kernel services this control plane manages, kept in a small JSON state file so
// that a service removed from the descriptor is deleted, while services someone else
// created (ipvsadm, another tool) are left alone unless the operator asks to prune.
#include <cstddef>
#include <set>
#include <string>
#include <string_view>

#include "common/result.h"
#include "ipvs/types.h"

namespace lvs::ipvs {

struct Ownership {
  std::set<ServiceKey> services;

  bool owns(const ServiceKey& key) const { return services.count(key) != 0; }
  bool operator==(const Ownership&) const = default;
};

inline constexpr const char* kDefaultStateDir = "/var/lib/lvsd";
// The cap on an ownership file, for reading and writing alike (a record that could be
// saved but not loaded would stop lvsd from starting). 100,000 services take about 12 MiB.
inline constexpr std::size_t kMaxOwnershipFileBytes = 64u * 1024 * 1024;

// The state file for one IPVS table: DIR/owned.json for the caller's own network
// namespace, DIR/owned.netns-NAME.json for a named one (each namespace has its own table).
std::string ownership_path(const std::string& state_dir, const std::string& netns = {});

std::string to_json(const Ownership& owned);
[[nodiscard]] Result<Ownership> ownership_from_json(std::string_view text, const std::string& origin);

// A missing file means nothing is owned yet (first run); an unreadable or corrupt one, or
// one in a folder other users can write to, is an error, never silently empty (that
// would forget what we manage).
[[nodiscard]] Result<Ownership> load_ownership(const std::string& path);
// Atomic (lvs::write_file_atomic): an unpredictable temporary name opened with
// O_EXCL|O_NOFOLLOW, fsync, rename, folder fsync. Creates the folder (mode 0750) when
// missing; refuses a folder other users can write to and a text above the cap.
[[nodiscard]] Status save_ownership(const std::string& path, const Ownership& owned);

// Serialises the writers of one IPVS table (lvsctl apply, lvsd): an exclusive flock on
// "<ownership file>.lock", held for the object's lifetime. Two writers would otherwise
// undo each other's changes and lose each other's ownership updates.
class [[nodiscard]] OwnershipLock {
 public:
  // Fails at once with EWOULDBLOCK when another process holds it; creates the folder
  // (and refuses an unsafe one, as save_ownership does).
  static Result<OwnershipLock> try_acquire(const std::string& ownership_file);

  OwnershipLock(OwnershipLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  OwnershipLock& operator=(OwnershipLock&& other) noexcept;
  OwnershipLock(const OwnershipLock&) = delete;
  OwnershipLock& operator=(const OwnershipLock&) = delete;
  ~OwnershipLock();

 private:
  explicit OwnershipLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace lvs::ipvs
