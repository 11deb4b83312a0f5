#pragma once
// The control socket's protocol: one JSON request per line, one JSON reply per line,
// and who may ask what (SO_PEERCRED). See daemon/README.md.
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace lvsd {

inline constexpr std::size_t kMaxRequestBytes = 64 * 1024;

enum class Command { status, drain, enable, check, reload };
const char* to_string(Command);

struct Request {
  Command command = Command::status;
  std::string real;        // drain/enable/check: "ADDR", "ADDR:PORT" or "[V6]:PORT"
  std::string service;     // optional service name (expanded or as written)
  std::uint32_t deadline_s = 0;  // drain only; 0: none
  bool operator==(const Request&) const = default;
};

// A line (without its newline) -> a request; the error's message is what the client
// is told.
[[nodiscard]] lvs::Result<Request> parse_request(std::string_view line);

struct PeerCred {
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  std::vector<gid_t> groups;  // supplementary groups (SO_PEERGROUPS)
};

struct AccessPolicy {
  std::optional<gid_t> admin_group;
  std::optional<gid_t> read_group;
};

enum class Access { none, read, admin };
Access access_for(const PeerCred& peer, const AccessPolicy& policy);
// status needs read access; everything else admin.
bool allowed(Command command, Access access);

// {"ok":false,"error":"..."} as one line, without the newline.
std::string error_reply(const std::string& message);

// "ADDR", "ADDR:PORT", "[V6]:PORT", "V6" -> address and port (0: any port).
struct RealSelector {
  std::string address_text;
  std::uint16_t port = 0;
};
[[nodiscard]] lvs::Result<RealSelector> parse_real_selector(std::string_view text);

}  // namespace lvsd
