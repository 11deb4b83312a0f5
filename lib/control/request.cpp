#include "control/request.h"

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>

#include "net/ip_address.h"

namespace lvs::control {

const char* to_string(Command c) {
  switch (c) {
    case Command::status: return "status";
    case Command::drain: return "drain";
    case Command::enable: return "enable";
    case Command::check: return "check";
    case Command::reload: return "reload";
    case Command::ha_status: return "ha-status";
    case Command::ha_failover: return "ha-failover";
    case Command::ha_resume: return "ha-resume";
    case Command::events: return "events";
  }
  return "?";
}

namespace {

Error bad(const std::string& why) { return Error{EINVAL, why}; }

}  // namespace

Result<Request> parse_request(std::string_view line) {
  if (line.size() > kMaxRequestBytes) return bad("request longer than 65536 bytes");
  nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded()) return bad("request is not valid JSON");
  if (!j.is_object()) return bad("request must be a JSON object");
  if (!j.contains("command") || !j["command"].is_string()) return bad("request has no \"command\" string");
  const std::string name = j["command"].get<std::string>();
  Request r;
  static constexpr Command all[] = {Command::status,    Command::drain,       Command::enable,
                                    Command::check,     Command::reload,      Command::ha_status,
                                    Command::ha_failover, Command::ha_resume, Command::events};
  auto it = std::find_if(std::begin(all), std::end(all), [&](Command c) { return name == to_string(c); });
  if (it == std::end(all)) return bad("unknown command \"" + name.substr(0, 64) + "\"");
  r.command = *it;
  const bool needs_real = r.command == Command::drain || r.command == Command::enable || r.command == Command::check;
  const bool status = r.command == Command::status;
  for (const auto& [key, value] : j.items()) {
    if (key == "command") continue;
    if ((needs_real || status) && key == "real") {
      if (!value.is_string() || value.get<std::string>().empty()) return bad("\"real\" must be a non-empty string");
      r.real = value.get<std::string>();
    } else if (status && (key == "down" || key == "draining")) {
      if (!value.is_boolean()) return bad("\"" + key + "\" must be true or false");
      (key == "down" ? r.down : r.draining) = value.get<bool>();
    } else if (status && key == "brief_over") {
      if (!value.is_number_unsigned() || value.get<std::uint64_t>() > UINT32_MAX)
        return bad("\"brief_over\" must be a number of services");
      r.brief_over = value.get<std::uint32_t>();
    } else if ((needs_real || status) && key == "service") {
      if (!value.is_string()) return bad("\"service\" must be a string");
      r.service = value.get<std::string>();
    } else if (r.command == Command::ha_failover && key == "force") {
      if (!value.is_boolean()) return bad("\"force\" must be true or false");
      r.force = value.get<bool>();
    } else if (r.command == Command::drain && key == "deadline_s") {
      if (!value.is_number_unsigned() || value.get<std::uint64_t>() > 365ull * 86400)
        return bad("\"deadline_s\" must be a number of seconds (0 to one year)");
      r.deadline_s = value.get<std::uint32_t>();
    } else {
      return bad("unknown field \"" + key.substr(0, 64) + "\" for " + name);
    }
  }
  if (needs_real && r.real.empty()) return bad(name + " needs \"real\"");
  if (!r.real.empty()) {
    auto sel = parse_real_selector(r.real);
    if (!sel) return sel.error();
  }
  return r;
}

void to_json(nlohmann::json& j, const Request& r) {
  j = nlohmann::json{{"command", to_string(r.command)}};
  if (!r.real.empty()) j["real"] = r.real;
  if (!r.service.empty()) j["service"] = r.service;
  if (r.command == Command::drain && r.deadline_s != 0) j["deadline_s"] = r.deadline_s;
  if (r.command == Command::ha_failover && r.force) j["force"] = true;
  if (r.command == Command::status) {
    if (r.down) j["down"] = true;
    if (r.draining) j["draining"] = true;
    if (r.brief_over != 0) j["brief_over"] = r.brief_over;
  }
}

Result<RealSelector> parse_real_selector(std::string_view text) {
  RealSelector sel;
  auto port_of = [](std::string_view p) -> std::optional<std::uint16_t> {
    if (p.empty() || p.size() > 5) return std::nullopt;
    unsigned v = 0;
    for (char c : p) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (v == 0 || v > 65535) return std::nullopt;
    return static_cast<std::uint16_t>(v);
  };
  if (net::IpAddress::parse(text)) {
    sel.address_text = std::string(text);
    return sel;
  }
  std::string_view addr, port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return bad("real \"" + std::string(text.substr(0, 64)) + "\" is not ADDR, ADDR:PORT or [V6]:PORT");
    addr = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos)
      return bad("real \"" + std::string(text.substr(0, 64)) + "\" is not an address");
    addr = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  auto a = net::IpAddress::parse(addr);
  auto p = port_of(port);
  if (!a || !p) return bad("real \"" + std::string(text.substr(0, 64)) + "\" is not ADDR, ADDR:PORT or [V6]:PORT");
  sel.address_text = a->to_string();
  sel.port = *p;
  return sel;
}

}  // namespace lvs::control
