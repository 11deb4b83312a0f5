// lvs_probe: runs one health probe from lib/health and prints its dialogue and result.
// Exit 0 when the check passed, 1 when it failed, 2 on a usage error. The same code path
// as the daemon's checks (make_probe on a ProbeRunner), so `lvsctl check` can share it.
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "health/probe.h"
#include "health/probe_config.h"
#include "health/probe_loop.h"
#include "health/tls_context.h"

namespace {

using lvs::health::ProbeConfig;

// Moves this (single-threaded) process into /run/netns/NAME before any socket exists.
bool enter_netns(const std::string& name, std::string& error) {
  std::string path = "/run/netns/" + name;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = "cannot open " + path + ": " + std::strerror(errno);
    return false;
  }
  int rc = ::setns(fd, CLONE_NEWNET);
  int saved = errno;
  ::close(fd);
  if (rc != 0) {
    error = "cannot enter network namespace " + name + ": " + std::strerror(saved);
    return false;
  }
  return true;
}

// The password is the file's first line, without its line end.
std::optional<std::string> read_password(const std::string& path, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = "cannot read password file " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Run one lvs health probe and print its dialogue"};
  std::string type = "tcp", tls = "none", address, ca, server_name, user, password_file, netns,
              source, min_tls = "1.2", ehlo;
  int port = 0;
  int timeout_ms = 5000;
  bool verify = false;

  app.add_option("--type", type, "tcp, smtp, pop3 or imap")
      ->check(CLI::IsMember({"tcp", "smtp", "pop3", "imap"}));
  app.add_option("--tls", tls, "none, starttls or implicit")
      ->check(CLI::IsMember({"none", "starttls", "implicit"}));
  app.add_option("--address", address, "server address (IPv4 or IPv6)")->required();
  app.add_option("--port", port, "server port")->required()->check(CLI::Range(1, 65535));
  app.add_option("--source", source, "source address to bind");
  app.add_option("--ca", ca, "CA file to verify against (default: the system store)");
  app.add_option("--server-name", server_name, "name sent as SNI and checked when verifying");
  app.add_flag("--verify", verify, "verify the server certificate (and the name, if given)");
  app.add_option("--min-tls", min_tls, "minimum TLS version: any, 1.0, 1.1, 1.2, 1.3")
      ->check(CLI::IsMember({"any", "1.0", "1.1", "1.2", "1.3"}));
  app.add_option("--user", user, "user for POP3 USER/PASS or IMAP LOGIN");
  app.add_option("--password-file", password_file, "file whose first line is the password");
  app.add_option("--ehlo", ehlo, "name sent in EHLO");
  app.add_option("--timeout-ms", timeout_ms, "deadline for the whole dialogue")
      ->check(CLI::Range(1, 3600 * 1000));
  app.add_option("--netns", netns, "run in network namespace /run/netns/NAME");
  CLI11_PARSE(app, argc, argv);

  ProbeConfig config;
  config.type = type == "smtp"   ? lvs::health::ProbeType::smtp
                : type == "pop3" ? lvs::health::ProbeType::pop3
                : type == "imap" ? lvs::health::ProbeType::imap
                                 : lvs::health::ProbeType::tcp;
  config.tls = tls == "starttls"   ? lvs::health::TlsMode::starttls
               : tls == "implicit" ? lvs::health::TlsMode::implicit
                                   : lvs::health::TlsMode::none;
  config.min_tls_version = min_tls == "any"   ? lvs::health::TlsVersion::any
                           : min_tls == "1.0" ? lvs::health::TlsVersion::tls1_0
                           : min_tls == "1.1" ? lvs::health::TlsVersion::tls1_1
                           : min_tls == "1.3" ? lvs::health::TlsVersion::tls1_3
                                              : lvs::health::TlsVersion::tls1_2;
  auto parsed = lvs::net::IpAddress::parse(address);
  if (!parsed) {
    std::cerr << "lvs_probe: not an address: " << address << "\n";
    return 2;
  }
  config.address = *parsed;
  config.port = static_cast<std::uint16_t>(port);
  config.record_transcript = true;
  if (!source.empty()) {
    auto s = lvs::net::IpAddress::parse(source);
    if (!s) {
      std::cerr << "lvs_probe: not an address: " << source << "\n";
      return 2;
    }
    config.source = *s;
  }
  config.ca_file = ca;
  config.server_name = server_name;
  config.verify = verify;
  config.timeout = std::chrono::milliseconds(timeout_ms);
  if (!ehlo.empty()) config.ehlo_name = ehlo;

  std::string error;
  if (!user.empty() || !password_file.empty()) {
    if (user.empty() || password_file.empty()) {
      std::cerr << "lvs_probe: --user and --password-file go together\n";
      return 2;
    }
    auto password = read_password(password_file, error);
    if (!password) {
      std::cerr << "lvs_probe: " << error << "\n";
      return 2;
    }
    config.credentials = lvs::health::Credentials{user, *password};
  }
  if (!netns.empty() && !enter_netns(netns, error)) {
    std::cerr << "lvs_probe: " << error << "\n";
    return 2;
  }

  lvs::health::SteadyClock clock;
  lvs::health::TlsContextCache contexts;
  lvs::health::ProbeRunner runner(clock);
  lvs::health::ProbeResult result;
  runner.add(lvs::health::make_probe(config, contexts, clock.now()),
             [&result](lvs::health::ProbeId, const lvs::health::ProbeResult& r) { result = r; });
  runner.run_until_idle();

  std::cout << "probe: " << lvs::health::describe(config) << (netns.empty() ? "" : " in netns " + netns)
            << "\n"
            << lvs::health::format_transcript(result.transcript);
  auto latency_ms = static_cast<double>(result.latency.count()) / 1000.0;
  if (result.ok) {
    std::cout << "result: ok in " << latency_ms << " ms: " << result.message << "\n";
    return 0;
  }
  std::cout << "result: FAILED after " << latency_ms << " ms: " << result.message << "\n";
  return 1;
}
