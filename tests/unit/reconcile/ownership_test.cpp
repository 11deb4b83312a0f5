// The ownership record: JSON round trip and the atomic state file.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "support/ipvs_builders.h"

using namespace lvs::ipvs;
using namespace lvs::ipvs::test;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    std::string t = "/tmp/lvs-ownership-XXXXXX";
    path = ::mkdtemp(t.data());
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
};

Ownership sample() {
  Ownership o;
  o.services.insert(tcp_service("192.0.2.10", 25).key);
  o.services.insert(tcp_service("2001:db8::10", 993).key);
  ServiceKey fw;
  fw.family = Family::inet6;
  fw.fwmark = 42;
  o.services.insert(normalized(fw));
  auto u = tcp_service("192.0.2.11", 53).key;
  u.protocol = Protocol::udp;
  o.services.insert(u);
  return o;
}

}  // namespace

TEST_CASE("ownership: the record is written as nlohmann's dump(2) writes it, empty or not") {
  // The layout the record had when nlohmann wrote it: keys in sorted order.
  auto reference = [](const Ownership& o) {
    nlohmann::json services = nlohmann::json::array();
    for (const auto& k : o.services) {
      nlohmann::json j;
      j["family"] = k.family == Family::inet6 ? "inet6" : "inet";
      if (k.is_fwmark()) {
        j["fwmark"] = k.fwmark;
      } else {
        j["protocol"] = to_string(k.protocol);
        j["address"] = k.address.to_string();
        j["port"] = k.port;
      }
      services.push_back(j);
    }
    nlohmann::json doc;
    doc["version"] = 1;
    doc["services"] = std::move(services);
    return doc.dump(2) + "\n";
  };
  auto o = sample();
  auto s = tcp_service("198.51.100.255", 65535).key;
  s.protocol = Protocol::sctp;
  o.services.insert(s);
  CHECK(to_json(o) == reference(o));
  CHECK(to_json(Ownership{}) == reference(Ownership{}));
}

TEST_CASE("ownership: JSON round trip keeps every kind of key") {
  auto o = sample();
  auto back = ownership_from_json(to_json(o), "test");
  REQUIRE(back.ok());
  CHECK(*back == o);
  CHECK(back->owns(normalized(ServiceKey{Family::inet6, Protocol::tcp, {}, 0, 42})));
}

TEST_CASE("ownership: a missing state file means nothing owned yet") {
  TempDir dir;
  auto o = load_ownership(dir.path + "/owned.json");
  REQUIRE(o.ok());
  CHECK(o->services.empty());
}

TEST_CASE("ownership: save creates the folder and load reads back the same record") {
  TempDir dir;
  const std::string path = ownership_path(dir.path + "/state/lvsd", "");
  CHECK(path == dir.path + "/state/lvsd/owned.json");
  REQUIRE(save_ownership(path, sample()).ok());
  auto o = load_ownership(path);
  REQUIRE(o.ok());
  CHECK(*o == sample());
  // replaced atomically: a second save leaves no temporary files behind
  REQUIRE(save_ownership(path, Ownership{}).ok());
  CHECK(load_ownership(path)->services.empty());
  std::string listing;
  {
    std::string cmd = "ls -A '" + dir.path + "/state/lvsd'";
    FILE* p = ::popen(cmd.c_str(), "r");
    char buf[256];
    while (p && std::fgets(buf, sizeof buf, p)) listing += buf;
    if (p) ::pclose(p);
  }
  CHECK(listing == "owned.json\n");
}

TEST_CASE("ownership: a named network namespace has its own state file") {
  CHECK(ownership_path("/var/lib/lvsd", "blue") == "/var/lib/lvsd/owned.netns-blue.json");
  CHECK(ownership_path("", "") == std::string(kDefaultStateDir) + "/owned.json");
}

TEST_CASE("ownership: a corrupt state file is an error, not an empty record") {
  TempDir dir;
  const std::string path = dir.path + "/owned.json";
  std::ofstream(path) << "{\"version\": 1, \"services\": [{\"family\": \"inet\", \"port\": 25}]}";
  auto bad = load_ownership(path);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("/services/0") != std::string::npos);
  std::ofstream(path, std::ios::trunc) << "{ not json";
  CHECK_FALSE(load_ownership(path).ok());
}

TEST_CASE("ownership lock: a second writer of the same table is refused until the first is done") {
  TempDir dir;
  const std::string path = ownership_path(dir.path + "/lvsd", "");
  {
    auto first = OwnershipLock::try_acquire(path);
    REQUIRE(first.ok());
    // flock is per open file description: a second open in this process conflicts too.
    auto second = OwnershipLock::try_acquire(path);
    REQUIRE_FALSE(second.ok());
    CHECK(second.error().code == EWOULDBLOCK);
    CHECK(second.error().message.find("lvsctl reload") != std::string::npos);
    // another table (namespace) has its own lock
    CHECK(OwnershipLock::try_acquire(ownership_path(dir.path + "/lvsd", "blue")).ok());
  }
  CHECK(OwnershipLock::try_acquire(path).ok());
}

TEST_CASE("ownership: a field of the wrong type is an error naming the file and the field") {
  struct Case {
    const char* text;
    const char* field;
  };
  const Case cases[] = {
      {R"({"version":"1","services":[]})", "/version"},
      {R"({"version":1,"services":{}})", "/services must"},
      {R"({"version":1,"services":[5]})", "/services/0 "},
      {R"({"version":1,"services":[{"family":4}]})", "/services/0/family"},
      {R"({"version":1,"services":[{"family":"inet","fwmark":"7"}]})", "/services/0/fwmark"},
      {R"({"version":1,"services":[{"family":"inet","protocol":6,"address":"192.0.2.1","port":25}]})",
       "/services/0/protocol"},
      {R"({"version":1,"services":[{"family":"inet","protocol":"tcp","address":["192.0.2.1"],"port":25}]})",
       "/services/0/address"},
      {R"({"version":1,"services":[{"family":"inet","protocol":"tcp","address":"192.0.2.1","port":"25"}]})",
       "/services/0/port"},
      {R"({"version":1,"services":[{"family":"inet","protocol":"tcp","address":"2001:db8::1","port":25}]})",
       "/services/0/address"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    lvs::Result<Ownership> r = Ownership{};
    REQUIRE_NOTHROW(r = ownership_from_json(c.text, "/x/owned.json"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.rfind("/x/owned.json: ", 0) == 0);
    CHECK(r.error().message.find(c.field) != std::string::npos);
  }
}

TEST_CASE("ownership: a state file above the cap is refused without reading it") {
  TempDir dir;
  const std::string path = dir.path + "/owned.json";
  REQUIRE(save_ownership(path, sample()).ok());
  REQUIRE(::truncate(path.c_str(), static_cast<off_t>(kMaxOwnershipFileBytes) + 1) == 0);
  auto r = load_ownership(path);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == EFBIG);
  CHECK(r.error().message.find(path) != std::string::npos);
}

TEST_CASE("ownership lock: a symlink planted at the lock file is not followed") {
  TempDir dir;
  const std::string path = dir.path + "/owned.json";
  const std::string victim = dir.path + "/victim";
  REQUIRE(::symlink(victim.c_str(), (path + ".lock").c_str()) == 0);
  auto lock = OwnershipLock::try_acquire(path);
  REQUIRE_FALSE(lock.ok());
  CHECK(lock.error().code == ELOOP);
  CHECK(lock.error().message.find(path + ".lock") != std::string::npos);
  CHECK(::access(victim.c_str(), F_OK) != 0);  // not created through the link
}

TEST_CASE("ownership: a state folder other users can write to is refused") {
  TempDir dir;
  const std::string folder = dir.path + "/lvsd";
  const std::string path = ownership_path(folder, "");
  REQUIRE(save_ownership(path, sample()).ok());
  REQUIRE(::chmod(folder.c_str(), 0775) == 0);
  CHECK(load_ownership(path).error().code == EPERM);
  CHECK(save_ownership(path, sample()).error().code == EPERM);
  CHECK(OwnershipLock::try_acquire(path).error().code == EPERM);
}
