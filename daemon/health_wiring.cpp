#include "daemon/health_wiring.h"

#include <unistd.h>

#include <cerrno>

#include "daemon/state_file.h"

namespace lvsd {

namespace health = lvs::health;
namespace model = lvs::model;

lvs::Result<health::Credentials> read_credentials_file(const std::string& path) {
  auto text = read_small_file(path, 4096);
  if (!text) return lvs::Error{text.error().code, "credentials file: " + text.error().message};
  health::Credentials c;
  std::size_t nl = text->find('\n');
  if (nl == std::string::npos) return lvs::Error{EINVAL, "credentials file " + path + ": needs two lines, user and password"};
  c.user = text->substr(0, nl);
  std::string rest = text->substr(nl + 1);
  std::size_t nl2 = rest.find('\n');
  c.password = nl2 == std::string::npos ? rest : rest.substr(0, nl2);
  auto strip_cr = [](std::string& s) {
    if (!s.empty() && s.back() == '\r') s.pop_back();
  };
  strip_cr(c.user);
  strip_cr(c.password);
  if (c.user.empty()) return lvs::Error{EINVAL, "credentials file " + path + ": the user line is empty"};
  return c;
}

CheckEnv default_check_env() {
  CheckEnv env;
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) == 0 && name[0] != '\0') env.host_name = name;
  else env.host_name = "lvsd.localdomain";
  env.read_credentials = read_credentials_file;
  return env;
}

namespace {

health::TlsVersion tls_version(const std::string& v) {
  if (v == "1.0") return health::TlsVersion::tls1_0;
  if (v == "1.1") return health::TlsVersion::tls1_1;
  if (v == "1.3") return health::TlsVersion::tls1_3;
  return health::TlsVersion::tls1_2;
}

}  // namespace

lvs::Result<std::optional<health::CheckKey>> check_key_for(const model::VirtualService& vs, const model::Real& real,
                                                           const CheckEnv& env) {
  const model::HealthCheck& c = vs.check;
  health::CheckKey key;
  switch (c.type) {
    case model::CheckType::none: return std::optional<health::CheckKey>{};
    case model::CheckType::tcp: key.probe.type = health::ProbeType::tcp; break;
    case model::CheckType::smtp: key.probe.type = health::ProbeType::smtp; break;
    case model::CheckType::pop3: key.probe.type = health::ProbeType::pop3; break;
    case model::CheckType::imap: key.probe.type = health::ProbeType::imap; break;
  }
  key.probe.address = real.address;
  key.probe.port = c.port != 0 ? c.port : real.port;
  if (key.probe.port == 0)
    return lvs::Error{EINVAL, vs.name + ": real " + real.address.to_string() +
                                  " has no port to check (set check.port for a fwmark service)"};
  key.probe.source = c.source_address;
  switch (c.tls) {
    case model::TlsMode::none: key.probe.tls = health::TlsMode::none; break;
    case model::TlsMode::implicit: key.probe.tls = health::TlsMode::implicit; break;
    case model::TlsMode::starttls: key.probe.tls = health::TlsMode::starttls; break;
  }
  key.probe.ca_file = c.ca_file;
  key.probe.server_name = c.server_name;
  key.probe.verify = c.verify;
  key.probe.min_tls_version = tls_version(c.min_tls_version);
  key.probe.timeout = std::chrono::milliseconds(c.timeout_ms);
  if (!c.credentials_file.empty()) {
    auto cred = env.read_credentials(c.credentials_file);
    if (!cred) return lvs::Error{cred.error().code, vs.name + ": " + cred.error().describe()};
    key.probe.credentials = *cred;
  }
  key.probe.ehlo_name = c.ehlo_name.empty() ? env.host_name : c.ehlo_name;
  key.tracking.interval = std::chrono::milliseconds(c.interval_ms);
  key.tracking.rise = static_cast<int>(c.rise);
  key.tracking.fall = static_cast<int>(c.fall);
  key.tracking.initial = c.initially_up ? health::InitialHealth::up : health::InitialHealth::down_until_first_success;
  return std::optional<health::CheckKey>{std::move(key)};
}

health::CheckKey starting_up(health::CheckKey key) {
  key.tracking.initial = health::InitialHealth::up;
  return key;
}

}  // namespace lvsd
