#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "daemon/admin_state.h"
#include "daemon/overlay_builder.h"
#include "harness.h"

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

lvsd::AdminState one_drain() {
  lvsd::AdminState s;
  (void)s.drain("smtp", lvs::ipvs::DestKey{*lvs::net::IpAddress::parse("203.0.113.81"), 25}, 100, 0);
  return s;
}

}  // namespace

TEST_CASE("admin state: drains round-trip through the state file") {
  lvsd::test::TempDir dir;
  lvsd::AdminState s;
  lvs::ipvs::DestKey real{*lvs::net::IpAddress::parse("2001:db8::5"), 993};
  REQUIRE(s.drain("imaps", real, 1800000000, 600));
  s.drains[0].drained_at = 1800000100;
  s.drains[0].drained_note = "no connections left";
  const std::string path = lvsd::admin_state_path(dir.path(), "lb");
  CHECK(path == dir.path() + "/admin.netns-lb.json");
  REQUIRE(lvsd::save_admin_state(path, s));
  auto back = lvsd::load_admin_state(path);
  REQUIRE(back);
  CHECK(*back == s);
}

TEST_CASE("admin state: a missing file is empty, a corrupt one is an error") {
  lvsd::test::TempDir dir;
  auto missing = lvsd::load_admin_state(dir.file("admin.json"));
  REQUIRE(missing);
  CHECK(missing->drains.empty());
  lvsd::test::write_file(dir.file("admin.json"), "{\"version\":1,\"drains\":[{\"service\":1}]}");
  CHECK_FALSE(lvsd::load_admin_state(dir.file("admin.json")));
}

TEST_CASE("admin state: draining again keeps the start, enable removes the entry") {
  lvsd::AdminState s;
  lvs::ipvs::DestKey real{*lvs::net::IpAddress::parse("203.0.113.81"), 25};
  REQUIRE(s.drain("smtp", real, 100, 0));
  CHECK(s.drain("smtp", real, 200, 30));
  CHECK(s.drains[0].since == 100);
  CHECK_FALSE(s.enable("pop", real));
  CHECK(s.enable("smtp", real));
  CHECK(s.drains.empty());
}

TEST_CASE("admin state: a field of the wrong type is an error naming the file and the field") {
  lvsd::test::TempDir dir;
  const std::string path = dir.file("admin.json");
  const std::string entry = R"("service":"smtp","address":"203.0.113.81","port":25)";
  struct Case {
    std::string text;
    std::string field;
  };
  const Case cases[] = {
      {R"({"version":"1","drains":[]})", "/version"},
      {R"({"version":1.5,"drains":[]})", "/version"},
      {R"({"version":true,"drains":[]})", "/version"},
      {R"({"drains":[]})", "/version"},
      {R"({"version":1,"drains":{}})", "/drains"},
      {R"({"version":1,"drains":[7]})", "/drains/0"},
      {R"({"version":1,"drains":[{"service":1,"address":"203.0.113.81","port":25}]})", "/drains/0/service"},
      {R"({"version":1,"drains":[{"service":"smtp","address":5,"port":25}]})", "/drains/0/address"},
      {R"({"version":1,"drains":[{"service":"smtp","address":"nope","port":25}]})", "/drains/0/address"},
      {R"({"version":1,"drains":[{"service":"smtp","address":"203.0.113.81","port":"25"}]})", "/drains/0/port"},
      {R"({"version":1,"drains":[{"service":"smtp","address":"203.0.113.81","port":70000}]})", "/drains/0/port"},
      {R"({"version":1,"drains":[{"service":"smtp","address":"203.0.113.81"}]})", "/drains/0/port"},
      {R"({"version":1,"drains":[{)" + entry + R"(,"since":"yesterday"}]})", "/drains/0/since"},
      {R"({"version":1,"drains":[{)" + entry + R"(,"since":1.5}]})", "/drains/0/since"},
      {R"({"version":1,"drains":[{)" + entry + R"(,"deadline_s":-1}]})", "/drains/0/deadline_s"},
      {R"({"version":1,"drains":[{)" + entry + R"(,"deadline_s":8589934592}]})", "/drains/0/deadline_s"},
      {R"({"version":1,"drains":[{)" + entry + R"(,"drained_at":null}]})", "/drains/0/drained_at"},
      {R"({"version":1,"drains":[{)" + entry + R"(,"drained_note":5}]})", "/drains/0/drained_note"},
      {R"({"version":1,"drains":[{)" + entry + R"(},{"service":"smtp","address":"203.0.113.82","port":[]}]})",
       "/drains/1/port"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    lvsd::test::write_file(path, c.text);
    lvs::Result<lvsd::AdminState> r = lvsd::AdminState{};
    REQUIRE_NOTHROW(r = lvsd::load_admin_state(path));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == EINVAL);
    CHECK(r.error().message.rfind(path + ": " + c.field + " ", 0) == 0);
  }
  // The optional fields may be absent.
  lvsd::test::write_file(path, R"({"version":1,"drains":[{)" + entry + "}]}");
  auto fine = lvsd::load_admin_state(path);
  REQUIRE(fine);
  CHECK(fine->drains.size() == 1);
}

TEST_CASE("admin state: 10,000 services x 4 reals, all drained, save and load again") {
  lvsd::test::TempDir dir;
  lvsd::AdminState s;
  s.drains.reserve(40000);
  for (int svc = 0; svc < 10000; ++svc)
    for (int r = 0; r < 4; ++r) {
      lvs::ipvs::DestKey real{*lvs::net::IpAddress::parse("2001:db8::" + std::to_string(svc % 9000 + 1000) + ":" +
                                                         std::to_string(r + 1)),
                              static_cast<std::uint16_t>(10000 + svc % 50000)};
      s.drains.push_back(lvsd::DrainEntry{"cluster-" + std::to_string(svc) + "/imaps-" + std::to_string(svc), real,
                                          1800000000, 3600, 1800000600,
                                          "deadline passed with 12345 connections left"});
    }
  const std::string path = dir.file("admin.json");
  auto saved = lvsd::save_admin_state(path, s);
  INFO((saved ? std::string() : saved.error().describe()));
  REQUIRE(saved);
  auto back = lvsd::load_admin_state(path);
  INFO((back ? std::string() : back.error().describe()));
  REQUIRE(back);
  CHECK(*back == s);
}

TEST_CASE("admin state: a state too large to load again is refused on save, the old file kept") {
  lvsd::test::TempDir dir;
  const std::string path = dir.file("admin.json");
  REQUIRE(lvsd::save_admin_state(path, one_drain()));
  const std::string before = slurp(path);
  lvsd::AdminState huge = one_drain();
  huge.drains[0].drained_note.assign(lvsd::kMaxAdminStateBytes, 'n');
  auto r = lvsd::save_admin_state(path, huge);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == EFBIG);
  CHECK(r.error().message.find(path) != std::string::npos);
  CHECK(slurp(path) == before);
  REQUIRE(lvsd::load_admin_state(path));
}

TEST_CASE("admin state: a symlink planted at a guessable temporary name is not followed") {
  lvsd::test::TempDir dir;
  const std::string path = dir.file("admin.json");
  const std::string victim = dir.file("victim");
  lvsd::test::write_file(victim, "precious");
  // The names a writer using its pid would pick, here and in a child or parent process.
  for (pid_t pid : {::getpid(), ::getppid(), ::getpid() + 1})
    REQUIRE(::symlink(victim.c_str(), (path + ".tmp." + std::to_string(pid)).c_str()) == 0);
  REQUIRE(lvsd::save_admin_state(path, one_drain()));
  CHECK(slurp(victim) == "precious");
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  CHECK(S_ISREG(st.st_mode));
  REQUIRE(lvsd::load_admin_state(path));
}

TEST_CASE("admin state: a failed save returns an error with errno and the path") {
  lvsd::test::TempDir dir;
  // Root ignores mode bits, so make the folder impossible instead: a file stands in its place.
  lvsd::test::write_file(dir.file("state"), "not a folder");
  auto r = lvsd::save_admin_state(lvsd::admin_state_path(dir.file("state"), ""), one_drain());
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ENOTDIR);
  CHECK(r.error().message.find(dir.file("state")) != std::string::npos);
}

TEST_CASE("admin state: a state folder other users can write to is refused on load and save") {
  lvsd::test::TempDir dir;
  const std::string folder = dir.file("state");
  const std::string path = lvsd::admin_state_path(folder, "");
  REQUIRE(lvsd::save_admin_state(path, one_drain()));
  REQUIRE(::chmod(folder.c_str(), 0777) == 0);
  auto load = lvsd::load_admin_state(path);
  REQUIRE_FALSE(load);
  CHECK(load.error().code == EPERM);
  CHECK(load.error().message.find(folder) != std::string::npos);
  auto save = lvsd::save_admin_state(path, lvsd::AdminState{});
  REQUIRE_FALSE(save);
  CHECK(save.error().code == EPERM);
  REQUIRE(::chmod(folder.c_str(), 0750) == 0);
  auto again = lvsd::load_admin_state(path);
  REQUIRE(again);
  CHECK(again->drains.size() == 1);
}

TEST_CASE("admin state: the drain index finds what AdminState::find finds, first of duplicates included") {
  lvsd::AdminState s;
  auto key = [](const char* a, std::uint16_t p) { return lvs::ipvs::DestKey{*lvs::net::IpAddress::parse(a), p}; };
  (void)s.drain("smtp", key("203.0.113.82", 25), 1, 0);
  (void)s.drain("imap", key("203.0.113.81", 143), 2, 0);
  (void)s.drain("smtp", key("203.0.113.81", 25), 3, 0);
  (void)s.drain("smtp", key("2001:db8::81", 25), 4, 0);
  s.drains.push_back(lvsd::DrainEntry{"smtp", key("203.0.113.81", 25), 5, 0, std::nullopt, {}});  // a duplicate
  const lvsd::DrainIndex index(s);
  for (const char* service : {"smtp", "imap", "pop3", ""})
    for (const auto& k : {key("203.0.113.81", 25), key("203.0.113.82", 25), key("203.0.113.81", 143),
                          key("2001:db8::81", 25), key("198.51.100.1", 25)}) {
      INFO(service << " " << k.address.to_string() << ":" << k.port);
      CHECK(index.find(service, k) == s.find(service, k));
    }
  CHECK(index.find("smtp", key("203.0.113.81", 25))->since == 3);
}

TEST_CASE("admin state: 40,000 drains looked up pair by pair cost n log n comparisons, not n squared") {
  lvsd::AdminState s;
  const int services = 10000;
  for (int svc = 0; svc < services; ++svc)
    for (int r = 1; r <= 4; ++r)
      s.drains.push_back(lvsd::DrainEntry{
          "s" + std::to_string(svc),
          lvs::ipvs::DestKey{*lvs::net::IpAddress::parse("203.0.113." + std::to_string(r)), 1000}, 0, 0,
          std::nullopt, {}});
  const lvsd::DrainIndex index(s);
  std::size_t found = 0;
  for (const auto& d : s.drains) found += index.find(d.service, d.real) == &d ? 1 : 0;
  CHECK(found == s.drains.size());
  // log2(40,000) is about 15.3: at most 17 comparisons per lookup.
  CHECK(index.comparisons() <= 17u * s.drains.size());
}

TEST_CASE("admin state: the overlay gives every drained real weight 0 at 10,000 services x 4 reals") {
  lvs::model::Cluster cluster;
  lvsd::AdminState admin;
  for (int svc = 0; svc < 10000; ++svc) {
    lvs::model::VirtualService vs;
    vs.name = "s" + std::to_string(svc);
    vs.address = *lvs::net::IpAddress::parse("192.0.2." + std::to_string(svc / 250 + 1));
    vs.port = static_cast<std::uint16_t>(1000 + svc % 250);
    for (int r = 1; r <= 4; ++r) {
      lvs::model::Real real;
      real.address = *lvs::net::IpAddress::parse("203.0.113." + std::to_string(r));
      real.port = vs.port;
      vs.reals.push_back(real);
      // Every real but the last of every tenth service is drained.
      if (!(svc % 10 == 0 && r == 4))
        admin.drains.push_back(
            lvsd::DrainEntry{vs.name, lvs::ipvs::DestKey{real.address, real.port}, 0, 0, std::nullopt, {}});
    }
    cluster.virtual_services.push_back(std::move(vs));
  }
  auto overlay = lvsd::build_overlay(
      cluster, [](const lvs::model::VirtualService&, const lvs::model::Real&) { return true; }, admin);
  std::size_t zero = 0;
  for (const auto& [key, so] : overlay.services)
    for (const auto& [dest, o] : so.reals) zero += o.weight == std::optional<std::uint32_t>(0) ? 1 : 0;
  CHECK(zero == admin.drains.size());
  CHECK(admin.drains.size() == 40000u - 1000u);
}
