#include "conn_format.h"

#include <cctype>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "net/ip_address.h"

namespace lvsctl {

using lvs::ipvs::Connection;
using lvs::ipvs::ConnectionTable;

namespace {

// printf "%-Ns": pads, never cuts.
void left(std::string& out, const std::string& v, std::size_t width) {
  out += v;
  if (v.size() < width) out.append(width - v.size(), ' ');
}

}  // namespace

std::string expire_text(std::uint64_t seconds) {
  char b[32];
  std::snprintf(b, sizeof b, "%02llu:%02llu", static_cast<unsigned long long>(seconds / 60),
                static_cast<unsigned long long>(seconds % 60));
  return b;
}

std::string format_connections_text(const ConnectionTable& table, bool engine_columns) {
  std::string out;
  out.reserve(128 + table.connections.size() * 100);
  out += "IPVS connection entries\n";
  out += "pro expire ";
  left(out, "state", 11);
  out += ' ';
  left(out, "source", 18);
  out += ' ';
  left(out, "virtual", 18);
  out += ' ';
  if (engine_columns) {
    left(out, "destination", 18);
    out += ' ';
    left(out, "pe name", 16);
    out += " pe_data\n";
  } else {
    out += "destination\n";
  }
  for (const Connection& c : table.connections) {
    left(out, c.protocol, 3);
    out += ' ';
    left(out, expire_text(c.expires_s), 6);
    out += ' ';
    left(out, c.state, 11);
    out += ' ';
    left(out, lvs::net::endpoint(c.client, c.client_port), 18);
    out += ' ';
    left(out, lvs::net::endpoint(c.virtual_address, c.virtual_port), 18);
    out += ' ';
    const std::string dest = lvs::net::endpoint(c.destination, c.destination_port);
    if (engine_columns && !c.pe_name.empty()) {
      // ipvsadm's entry line is narrower here than its title line (16 against 18).
      left(out, dest, 16);
      out += ' ';
      left(out, c.pe_name, 18);
      out += ' ';
      out += c.pe_data;
    } else {
      out += dest;
    }
    out += '\n';
  }
  return out;
}

std::string format_connections_json(const ConnectionTable& table) {
  using nlohmann::ordered_json;
  const auto dump = [](const ordered_json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); };
  // One entry per line: a table of a million connections stays readable with grep.
  std::string out = "{\"connections\":[";
  out.reserve(64 + table.connections.size() * 260);
  bool first = true;
  for (const Connection& c : table.connections) {
    std::string proto = c.protocol;
    for (char& ch : proto) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    ordered_json j;
    j["protocol"] = proto;
    j["client_address"] = c.client.to_string();
    j["client_port"] = c.client_port;
    j["virtual_address"] = c.virtual_address.to_string();
    j["virtual_port"] = c.virtual_port;
    j["destination_address"] = c.destination.to_string();
    j["destination_port"] = c.destination_port;
    j["state"] = c.state;
    j["expires_s"] = c.expires_s;
    j["persistence_engine"] = c.pe_name;
    j["persistence_engine_data"] = c.pe_data;
    out += first ? "\n" : ",\n";
    out += dump(j);
    first = false;
  }
  out += "\n],\"unreadable_lines\":[";
  first = true;
  for (const auto& u : table.unreadable) {
    out += first ? "\n" : ",\n";
    out += dump(ordered_json{{"line", u.line}, {"text", u.text}, {"reason", u.reason}});
    first = false;
  }
  out += "\n]}\n";
  return out;
}

}  // namespace lvsctl
