#pragma once
// lvsd's command line (documented in daemon/README.md; the integration tests rely on it).
#include <cstdint>
#include <optional>
#include <string>

#include "daemon/log.h"

namespace lvsd {

inline constexpr const char* kDefaultControlSocket = "/run/lvsd/control.sock";

struct CliOptions {
  std::string config;
  std::string state_dir = "/var/lib/lvsd";
  std::string netns;
  std::string node;
  std::string control_socket = kDefaultControlSocket;
  std::string admin_group;
  std::string read_group;
  std::string schema;
  std::string metrics;  // ADDRESS:PORT for Prometheus; empty: off
  std::uint32_t retire_deadline_s = 300;  // a service or real a reload removed is deleted by then
  Level log_level = Level::info;
};

// Parses argv; on --help, --version or a usage error prints and sets `exit_code`,
// returning nullopt. `version` is the line --version prints (main() passes it).
std::optional<CliOptions> parse_cli(int argc, char** argv, int& exit_code, const std::string& version = "");

}  // namespace lvsd
