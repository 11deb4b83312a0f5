#pragma once
// The control protocol's requests (lvsd's control socket, lvsctl): one JSON object per
// line, typed here, with the one mapping to and from JSON. See daemon/README.md.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "common/result.h"

namespace lvs::control {

inline constexpr std::size_t kMaxRequestBytes = 64 * 1024;

enum class Command { status, drain, enable, check, reload, ha_status, ha_failover, ha_resume, events };
const char* to_string(Command);

struct Request {
  Command command = Command::status;
  std::string real;              // drain/enable/check: "ADDR", "ADDR:PORT" or "[V6]:PORT"; status: optional filter
  std::string service;           // optional service name (expanded or as written)
  std::uint32_t deadline_s = 0;  // drain only; 0: none
  // status only, filters (none set: everything): reals that are down, or draining or
  // drained (both set: either); with `real` and `service` they all must match.
  bool down = false;
  bool draining = false;
  // status only: with no filter and more services than this (0: no limit), only the
  // services with a real down, draining or drained (the summary still counts all).
  std::uint32_t brief_over = 0;
  // ha-failover only: hand over even when no standby has reported (lvsctl ha failover --force).
  bool force = false;
  bool filtered() const { return !real.empty() || !service.empty() || down || draining; }
  bool operator==(const Request&) const = default;
};

// A request that takes no fields (status, reload).
inline Request request_for(Command command) {
  Request r;
  r.command = command;
  return r;
}

// A line (without its newline) -> a request; the error's message is what the client
// is told.
[[nodiscard]] Result<Request> parse_request(std::string_view line);
// The request as lvsctl sends it: only the fields its command takes, empty ones left out.
void to_json(nlohmann::json& j, const Request& request);

// "ADDR", "ADDR:PORT", "[V6]:PORT", "V6" -> address and port (0: any port).
struct RealSelector {
  std::string address_text;
  std::uint16_t port = 0;
};
[[nodiscard]] Result<RealSelector> parse_real_selector(std::string_view text);

}  // namespace lvs::control
