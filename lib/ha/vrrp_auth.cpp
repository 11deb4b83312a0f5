#include "ha/vrrp_auth.h"

#include <algorithm>
#include <cctype>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

namespace lvs::ha {
namespace {

constexpr std::string_view kKeyLabel = "lvs-vrrp-key";
constexpr std::string_view kMacLabel = "lvs-vrrp-hmac-1";

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::span<const std::uint8_t> raw(const net::IpAddress& a) { return {a.bytes.data(), a.is_v6() ? 16u : 4u}; }

void put_u64(std::uint8_t* out, std::uint64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8) out[i] = static_cast<std::uint8_t>(v & 0xff);
}

std::uint64_t get_u64(const std::uint8_t* in) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | in[i];
  return v;
}

std::array<std::uint8_t, 32> mac_of(const AuthKey& key, std::span<const std::uint8_t> message,
                                    const net::IpAddress& source, const net::IpAddress& destination,
                                    std::span<const std::uint8_t> id_and_counter) {
  std::vector<std::uint8_t> input;
  input.reserve(kMacLabel.size() + 32 + message.size() + id_and_counter.size());
  for (auto part : {bytes_of(kMacLabel), raw(source), raw(destination), message, id_and_counter})
    input.insert(input.end(), part.begin(), part.end());
  std::array<std::uint8_t, 32> out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.secret.data(), static_cast<int>(key.secret.size()), input.data(), input.size(), out.data(),
       &len);
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

AuthKey make_key(std::span<const std::uint8_t> secret) {
  AuthKey key;
  key.secret.assign(secret.begin(), secret.end());
  std::vector<std::uint8_t> input(kKeyLabel.begin(), kKeyLabel.end());
  input.insert(input.end(), secret.begin(), secret.end());
  std::array<std::uint8_t, SHA256_DIGEST_LENGTH> digest{};
  SHA256(input.data(), input.size(), digest.data());
  std::copy_n(digest.begin(), key.id.size(), key.id.begin());
  OPENSSL_cleanse(input.data(), input.size());
  return key;
}

Result<KeyRing> parse_key_file(std::string_view text, const std::string& origin) {
  KeyRing ring;
  int line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.remove_suffix(1);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;
    const std::string where = origin + ":" + std::to_string(line_no);
    if (line.size() % 2 != 0) return make_error(0, where + ": a key is an even number of hex digits");
    std::vector<std::uint8_t> secret;
    secret.reserve(line.size() / 2);
    for (std::size_t i = 0; i < line.size(); i += 2) {
      const int hi = hex_value(line[i]), lo = hex_value(line[i + 1]);
      if (hi < 0 || lo < 0) {
        OPENSSL_cleanse(secret.data(), secret.size());
        return make_error(0, where + ": a key is hex digits only");
      }
      secret.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
    }
    if (secret.size() < kMinSecretBytes) {
      OPENSSL_cleanse(secret.data(), secret.size());
      return make_error(0, where + ": a key needs at least " + std::to_string(kMinSecretBytes * 2) +
                               " hex digits (" + std::to_string(kMinSecretBytes) + " bytes)");
    }
    if (ring.keys.size() == kMaxKeys) return make_error(0, where + ": at most two keys (the signing key, then the one being rotated)");
    ring.keys.push_back(make_key(secret));
    OPENSSL_cleanse(secret.data(), secret.size());
  }
  if (ring.keys.empty()) return make_error(0, origin + ": no key in the file");
  if (ring.keys.size() == 2 && ring.keys[0].id == ring.keys[1].id)
    return make_error(0, origin + ": the two keys are the same");
  return ring;
}

std::array<std::uint8_t, kTrailerBytes> sign(std::span<const std::uint8_t> message, const net::IpAddress& source,
                                             const net::IpAddress& destination, const AuthKey& key,
                                             std::uint64_t counter) {
  std::array<std::uint8_t, kTrailerBytes> out{};
  std::copy(key.id.begin(), key.id.end(), out.begin());
  put_u64(out.data() + 4, counter);
  const auto mac = mac_of(key, message, source, destination, std::span(out).first(12));
  std::copy(mac.begin(), mac.end(), out.begin() + 12);
  return out;
}

std::variant<Verified, DropReason> verify(std::span<const std::uint8_t> payload, std::size_t message_length,
                                          const net::IpAddress& source, const net::IpAddress& destination,
                                          const KeyRing& ring) {
  if (payload.size() < message_length || payload.size() - message_length < kTrailerBytes)
    return DropReason::auth_missing;
  if (payload.size() - message_length > kTrailerBytes) return DropReason::trailing_bytes;
  const auto message = payload.first(message_length);
  const auto trailer = payload.subspan(message_length);
  for (std::size_t i = 0; i < ring.keys.size(); ++i) {
    const AuthKey& key = ring.keys[i];
    if (!std::equal(key.id.begin(), key.id.end(), trailer.begin())) continue;
    const auto mac = mac_of(key, message, source, destination, trailer.first(12));
    if (CRYPTO_memcmp(mac.data(), trailer.data() + 12, mac.size()) != 0) return DropReason::auth_bad_mac;
    return Verified{get_u64(trailer.data() + 4), i};
  }
  return DropReason::auth_bad_key;
}

std::optional<std::uint64_t> CounterSource::next() {
  if (seq_ == UINT32_MAX) return std::nullopt;
  ++seq_;
  return static_cast<std::uint64_t>(epoch_) << 32 | seq_;
}

void ReplayGuard::remember_epoch(const net::IpAddress& peer, std::uint32_t epoch) {
  auto& last = last_[peer];
  last = std::max(last, static_cast<std::uint64_t>(epoch) << 32);
}

bool ReplayGuard::accept(const net::IpAddress& peer, std::uint64_t counter) {
  auto [it, inserted] = last_.try_emplace(peer, 0);
  if (!inserted && counter <= it->second) return false;
  it->second = counter;
  return true;
}

std::optional<std::uint32_t> ReplayGuard::epoch_of(const net::IpAddress& peer) const {
  auto it = last_.find(peer);
  if (it == last_.end()) return std::nullopt;
  return static_cast<std::uint32_t>(it->second >> 32);
}

}  // namespace lvs::ha
