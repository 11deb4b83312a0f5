// lvsctl's control client against the daemon core behind a real control socket; the
// loop runs on a second thread, which alone touches the daemon until it is joined.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstring>
#include <random>
#include <thread>

#include "commands.h"
#include "control_client.h"
#include "daemon_commands.h"
#include "daemon/control_server.h"
#include "harness.h"

using namespace std::chrono_literals;
using lvsd::test::kA;
using lvsd::test::write_file;

namespace {

struct Served {
  lvsd::test::Harness h;
  lvsd::EventLoop loop;
  std::unique_ptr<lvsd::ControlServer> server;
  std::string path;
  std::atomic<bool> stop{false};
  std::thread thread;

  Served() {
    REQUIRE_FALSE(h.start());
    h.run_for(2000ms);
    server = std::make_unique<lvsd::ControlServer>(
        loop, h.clock, h.log, lvsd::AccessPolicy{},
        [this](const lvsd::Request& r, lvsd::ControlServer::Respond respond) { h.daemon->handle(r, respond); });
    // Root, whoever runs the test: the unit tier needs no privileges.
    server->set_peer_lookup([](int) { return lvsd::PeerCred{0, 0, {}}; });
    path = h.dir.file("control.sock");
    REQUIRE(server->listen(path));
    thread = std::thread([this] {
      while (!stop) {
        (void)loop.run_once(10);
        h.daemon->poll();
      }
    });
  }
  ~Served() {
    stop = true;
    thread.join();
  }
};

}  // namespace

TEST_CASE("client: status, drain and enable through lvsctl's client and a real socket") {
  Served s;
  auto client = lvsctl::ControlClient::connect(s.path);
  REQUIRE(client);
  auto st = client->request({{"command", "status"}}, 5s);
  REQUIRE(st);
  CHECK((*st)["ok"] == true);
  CHECK((*st)["status"]["services"][0]["name"] == "smtp");
  auto drained = client->request({{"command", "drain"}, {"real", "203.0.113.81:25"}}, 5s);
  REQUIRE(drained);
  CHECK((*drained)["reals"][0]["admin"] == "drained");
  auto enabled = client->request({{"command", "enable"}, {"real", "203.0.113.81:25"}}, 5s);
  REQUIRE(enabled);
  CHECK((*enabled)["reals"][0]["admin"] == "enabled");
  auto bad = client->request({{"command", "drain"}}, 5s);
  REQUIRE(bad);
  CHECK((*bad)["error"] == "drain needs \"real\"");
}

TEST_CASE("client: a missing socket is an error that names the path") {
  auto client = lvsctl::ControlClient::connect("/nonexistent/lvsd.sock");
  REQUIRE_FALSE(client);
  CHECK(client.error().message.find("/nonexistent/lvsd.sock") != std::string::npos);
}

TEST_CASE("control socket: random bytes from many clients never stop the daemon from answering") {
  Served s;
  std::mt19937 rng(12345);
  for (int round = 0; round < 40; ++round) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, s.path.c_str(), sizeof addr.sun_path - 1);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    std::string junk(static_cast<std::size_t>(rng() % 3000), '\0');
    for (auto& c : junk) c = static_cast<char>(rng() % 256);
    [[maybe_unused]] auto n = ::send(fd, junk.data(), junk.size(), MSG_NOSIGNAL);
    ::close(fd);  // often before the daemon has read or answered
  }
  auto client = lvsctl::ControlClient::connect(s.path);
  REQUIRE(client);
  auto st = client->request({{"command", "status"}}, 5s);
  REQUIRE(st);
  CHECK((*st)["ok"] == true);
}

// --json of the commands lvsd answers (lvsctl/daemon_commands.h): exactly one document on
// stdout, lvsd's reply in the documented shape or {"ok":false,...}, with the exit codes
// each command's --help states.
TEST_CASE("client: drain, enable, check and reload --json print one document each, with their exit codes") {
  Served s;
  lvsctl::RealTarget target{kA, "", s.path};

  lvsctl::DrainArgs drain{target, false, 0, true};
  auto drained = lvsctl::drain_real(drain);
  CHECK(drained.exit_code == lvsctl::kExitOk);
  auto d = nlohmann::json::parse(drained.out);
  CHECK(d["ok"] == true);
  REQUIRE(d["reals"].size() == 1);
  CHECK(d["reals"][0]["real"] == kA);
  CHECK(d["reals"][0]["service"] == "smtp");
  CHECK(d["reals"][0]["admin"] == "drained");

  drain.wait = true;
  auto waited = lvsctl::drain_real(drain);
  CHECK(waited.exit_code == lvsctl::kExitOk);
  auto w = nlohmann::json::parse(waited.out);  // one document, no progress lines
  CHECK(w["drained"] == true);
  CHECK(w["reals"][0]["admin"] == "drained");
  CHECK(w["reals"][0]["active_conns"] == 0);
  CHECK(w["reals"][0].contains("persistent_conns"));

  auto enabled = lvsctl::enable_real(target, true);
  CHECK(enabled.exit_code == lvsctl::kExitOk);
  CHECK(nlohmann::json::parse(enabled.out)["reals"][0]["admin"] == "enabled");

  auto checked = lvsctl::check_real(target, true);
  CHECK(checked.exit_code == lvsctl::kExitOk);
  auto c = nlohmann::json::parse(checked.out);
  REQUIRE(c["checks"].size() == 1);
  CHECK(c["checks"][0]["ok"] == true);
  CHECK(c["checks"][0]["real"] == kA);
  CHECK(c["checks"][0].contains("latency_ms"));

  auto reloaded = lvsctl::reload_daemon(s.path, true);
  CHECK(reloaded.exit_code == lvsctl::kExitOk);
  auto r = nlohmann::json::parse(reloaded.out);
  CHECK(r["ok"] == true);
  CHECK(r["failed"] == 0);
  CHECK(r["errors"].is_array());

  write_file(s.h.config, "{ not json");
  auto refused = lvsctl::reload_daemon(s.path, true);
  CHECK(refused.exit_code == lvsctl::kExitDiffers);
  auto f = nlohmann::json::parse(refused.out);
  CHECK(f["ok"] == false);
  CHECK_FALSE(f["error"].get<std::string>().empty());
  CHECK_FALSE(f["errors"].empty());

  auto no_real = lvsctl::enable_real(lvsctl::RealTarget{"203.0.113.99", "", s.path}, true);
  CHECK(no_real.exit_code == lvsctl::kExitError);
  CHECK(nlohmann::json::parse(no_real.out)["ok"] == false);
}

TEST_CASE("client: a request lvsd refuses exits 2, for ha failover as for drain, enable and check") {
  Served s;  // its lvsd runs no HA: every ha command is refused
  lvsctl::RealTarget nobody{"203.0.113.99", "", s.path};
  CHECK(lvsctl::drain_real(lvsctl::DrainArgs{nobody, false, 0, false}).exit_code == lvsctl::kExitError);
  CHECK(lvsctl::enable_real(nobody, false).exit_code == lvsctl::kExitError);
  CHECK(lvsctl::check_real(nobody, false).exit_code == lvsctl::kExitError);
  for (auto command : {lvs::control::Command::ha_failover, lvs::control::Command::ha_resume,
                       lvs::control::Command::ha_status}) {
    INFO(lvs::control::to_string(command));
    const auto refused = lvsctl::ha_request(s.path, command, false, false);
    CHECK(refused.exit_code == lvsctl::kExitError);
    CHECK(refused.out.empty());
  }
  // Unreachable is 2 as well.
  CHECK(lvsctl::ha_request("/nonexistent/lvsd.sock", lvs::control::Command::ha_status, true, false).exit_code ==
        lvsctl::kExitError);
}

TEST_CASE("client: --json with lvsd unreachable is {\"ok\":false} naming the socket, exit 2") {
  lvsctl::RealTarget target{kA, "", "/nonexistent/lvsd.sock"};
  for (const auto& out : {lvsctl::enable_real(target, true), lvsctl::check_real(target, true),
                          lvsctl::drain_real(lvsctl::DrainArgs{target, true, 0, true}),
                          lvsctl::reload_daemon(target.socket, true)}) {
    CHECK(out.exit_code == lvsctl::kExitError);
    auto doc = nlohmann::json::parse(out.out);
    CHECK(doc["ok"] == false);
    CHECK(doc["error"].get<std::string>().find("/nonexistent/lvsd.sock") != std::string::npos);
  }
}
