#include "harness.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "daemon/table_lookup.h"
#include "health/probe.h"

namespace lvsd::test {

namespace health = lvs::health;

bool MemoryLog::contains(const std::string& text) const {
  for (const auto& l : lines)
    if (l.find(text) != std::string::npos) return true;
  return false;
}

lvs::Result<std::string> FakeSysctl::read(const std::string& name) {
  auto it = values.find(name);
  if (it == values.end()) return lvs::Error{ENOENT, "no sysctl " + name};
  return it->second;
}

lvs::Status FakeSysctl::write(const std::string& name, const std::string& value) {
  ++writes;
  values[name] = value;
  return lvs::ok();
}

std::string descriptor(const std::string& service_extra, const std::string& more_services) {
  return R"({
  "cluster": "t",
  "nodes": [{ "name": "lb1", "address": "198.51.100.11", "priority": 100 }],
  "pools": {
    "mail": {
      "reals": [{ "address": "203.0.113.81" }, { "address": "203.0.113.82" }],
      "check": { "type": "tcp", "interval_ms": 1000, "timeout_ms": 500, "rise": 2, "fall": 2 }
    },
    "sorry": { "reals": [{ "address": "203.0.113.99", "port": 2525 }] }
  },
  "services": [
    { "name": "smtp", "address": "192.0.2.10", "port": 25, "scheduler": "rr", "pool": "mail" )" +
         service_extra + " }" + more_services + R"(
  ]
})";
}

namespace {

// A probe that is finished when it is made: its outcome is what the test set.
class InstantProbe final : public health::Probe {
 public:
  InstantProbe(bool ok, health::TimePoint now, const std::string& endpoint, bool short_of_fds = false)
      : deadline_(now) {
    result_.ok = ok && !short_of_fds;
    // As the real probe sorts them; "refused" is what the metrics tests count.
    result_.reason = short_of_fds ? health::FailureReason::shortage
                     : ok         ? health::FailureReason::none
                                  : health::FailureReason::refused;
    result_.message = short_of_fds ? "cannot create a socket for " + endpoint + ": Too many open files (errno 24)"
                      : ok         ? "connected"
                                   : "connection refused";
    result_.latency = std::chrono::microseconds(1500);
    result_.transcript.push_back({health::TranscriptLine::Kind::note, "connect " + endpoint});
  }
  int fd() const override { return -1; }
  void on_ready(std::uint32_t, health::TimePoint) override {}
  health::TimePoint deadline() const override { return deadline_; }
  bool done() const override { return true; }
  const health::ProbeResult& result() const override { return result_; }

 private:
  health::TimePoint deadline_;
  health::ProbeResult result_;
};

}  // namespace

Harness::Harness() {
  config = dir.file("cluster.json");
  write_file(config, descriptor());
}

Harness::~Harness() { daemon.reset(); }

std::optional<StartFailure> Harness::start() {
  daemon.reset();
  DaemonOptions o;
  o.config_path = config;
  o.state_dir = dir.file("state");
  CheckEnv env;
  env.host_name = "lb1.example.org";
  env.read_credentials = read_credentials_file;
  DaemonDeps deps{
      ipvs,
      clock,
      [this] { return wall; },
      random,
      [this](const health::ProbeConfig& c, health::TimePoint now) -> std::unique_ptr<health::Probe> {
        const std::string ep = health::endpoint_string(c.address, c.port);
        ++probes_run[ep];
        auto it = probe_up.find(ep);
        return std::make_unique<InstantProbe>(it == probe_up.end() || it->second, now, ep, out_of_fds);
      },
      sysctls,
      log,
      [](const std::string& path) {
        lvs::model::LoadOptions lo;
        lo.mode = lvs::model::LoadMode::daemon;
        return lvs::model::load_cluster_file(path, lo);
      },
      env,
      {},
      make_ha,
      [this](const nlohmann::json& event) { events.push_back(event); },
      marks,
  };
  daemon = std::make_unique<Daemon>(o, deps);
  return daemon->start();
}

void Harness::run_for(std::chrono::milliseconds d) {
  for (std::chrono::milliseconds t{0}; t < d; t += std::chrono::milliseconds(100)) {
    clock.advance(std::chrono::milliseconds(100));
    daemon->poll();
  }
}

std::optional<std::uint32_t> Harness::weight(const std::string& vip_port, const std::string& real) const {
  auto table = const_cast<lvs::ipvs::FakeIpvs&>(ipvs).read_table();
  if (!table) return std::nullopt;
  auto split = [](const std::string& ep) {
    auto colon = ep.rfind(':');
    return lvs::ipvs::DestKey{*lvs::net::IpAddress::parse(ep.substr(0, colon)),
                              static_cast<std::uint16_t>(std::stoi(ep.substr(colon + 1)))};
  };
  const auto vk = split(vip_port);
  lvs::ipvs::ServiceKey key;
  key.address = vk.address;
  key.port = vk.port;
  const auto* d = find_dest(*table, key, split(real));
  if (!d) return std::nullopt;
  return d->dest.weight;
}

nlohmann::json Harness::request(const Request& r) {
  nlohmann::json out;
  bool answered = false;
  daemon->handle(r, [&](const nlohmann::json& j) {
    out = j;
    answered = true;
  });
  for (int i = 0; i < 10 && !answered; ++i) run_for(std::chrono::milliseconds(100));
  if (!answered) throw std::runtime_error("no reply");
  return out;
}

}  // namespace lvsd::test
