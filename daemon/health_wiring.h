#pragma once
// The descriptor's check settings mapped onto lib/health: one CheckKey per (service,
// real). Identical keys (the same real checked the same way by several services) are
// one check in the registry, so they run once.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "health/registry.h"
#include "model/cluster.h"

namespace lvsd {

struct CheckEnv {
  std::string host_name;  // EHLO name when the descriptor names none
  // Reads a credentials file (two lines: user, password). Injected for tests.
  std::function<lvs::Result<lvs::health::Credentials>(const std::string& path)> read_credentials;
};

// Reads "user\npassword\n" with at most 4 KiB; errors name the file.
lvs::Result<lvs::health::Credentials> read_credentials_file(const std::string& path);
CheckEnv default_check_env();

// The check of one real of a service as the descriptor asks for it (its `initial` is
// the descriptor's); nullopt for `type: none`. Errors: a credentials file that cannot
// be read, a fwmark real without a check port.
lvs::Result<std::optional<lvs::health::CheckKey>> check_key_for(const lvs::model::VirtualService& vs,
                                                                 const lvs::model::Real& real,
                                                                 const CheckEnv& env);

// The same check starting up: used for a real that was serving when the daemon started.
lvs::health::CheckKey starting_up(lvs::health::CheckKey key);

}  // namespace lvsd
