#pragma once
// authentication: hmac-sha256, our extension for two lvsd peers. A 44-byte trailer after
// the VRRP message:
//
//   key id (4)   first 4 bytes of SHA-256("lvs-vrrp-key" | secret): which key signed
//   counter (8)  big-endian; high 32 bits: the sender's start epoch, low 32: a sequence
//   mac (32)     HMAC-SHA256(secret, "lvs-vrrp-hmac-1" | source | destination |
//                             VRRP message | key id | counter)
//
// Replays: the sender's epoch is kept on disk and goes up at every start, and its
// sequence goes up with every advert, so a receiver refuses any counter not above the
// last it accepted from that source. A receiver keeps each peer's last epoch on disk too
// (written only when it changes, i.e. when the peer restarted), so after its own restart
// it still refuses everything the peer sent in earlier runs. No clock is trusted.
//
// Rotation: the key file holds one or two keys (hex, one per line). The first signs;
// both verify. Add the new key second on both nodes, reload, swap the lines, reload,
// drop the old one: no advert is ever refused, so no failover happens.
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "ha/vrrp_packet.h"
#include "net/ip_address.h"

namespace lvs::ha {

inline constexpr std::size_t kTrailerBytes = 4 + 8 + 32;
inline constexpr std::size_t kMinSecretBytes = 32;
inline constexpr std::size_t kMaxKeys = 2;

using KeyId = std::array<std::uint8_t, 4>;

struct AuthKey {
  KeyId id{};
  std::vector<std::uint8_t> secret;
};

struct KeyRing {
  std::vector<AuthKey> keys;  // keys[0] signs; every key verifies
};

AuthKey make_key(std::span<const std::uint8_t> secret);
// One or two lines of at least 64 hex digits; blank lines and '#' comments are skipped.
// Errors name `origin` and the line, never the secret.
[[nodiscard]] Result<KeyRing> parse_key_file(std::string_view text, const std::string& origin);

// The trailer for `message` (header + addresses, checksum filled in) sent from `source`
// to `destination` under `counter`.
std::array<std::uint8_t, kTrailerBytes> sign(std::span<const std::uint8_t> message, const net::IpAddress& source,
                                             const net::IpAddress& destination, const AuthKey& key,
                                             std::uint64_t counter);

// Checks the trailer that follows the VRRP message in `payload` (the message is the first
// `message_length` bytes). Returns the counter on success; the replay check is the
// caller's (ReplayGuard), since it needs the peer's memory.
struct Verified {
  std::uint64_t counter = 0;
  std::size_t key_index = 0;
};
std::variant<Verified, DropReason> verify(std::span<const std::uint8_t> payload, std::size_t message_length,
                                          const net::IpAddress& source, const net::IpAddress& destination,
                                          const KeyRing& ring);

// The sender's counter: epoch in the high half, a sequence in the low half.
class CounterSource {
 public:
  explicit CounterSource(std::uint32_t epoch) : epoch_(epoch) {}
  // Nullopt when the sequence is used up: start a new epoch (persist it) first.
  std::optional<std::uint64_t> next();
  std::uint32_t epoch() const { return epoch_; }

 private:
  std::uint32_t epoch_;
  std::uint32_t seq_ = 0;
};

// The receiver's memory of each peer's last accepted counter.
class ReplayGuard {
 public:
  // The peer's epoch remembered from disk: counters of older epochs are refused.
  void remember_epoch(const net::IpAddress& peer, std::uint32_t epoch);
  // True (and remembered) when `counter` is above the last accepted from `peer`.
  bool accept(const net::IpAddress& peer, std::uint64_t counter);
  // The epoch last accepted from `peer`, to persist when it changed.
  std::optional<std::uint32_t> epoch_of(const net::IpAddress& peer) const;

 private:
  std::map<net::IpAddress, std::uint64_t> last_;
};

}  // namespace lvs::ha
