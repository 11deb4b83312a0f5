// lvsd's probe namespace (--netns), held from the start: probes are made inside it, the
// thread comes back to the host's namespace, and a namespace unmounted later (`ip netns
// del`) is still entered instead of probing from the host. Root: makes a namespace.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "daemon/probe_netns.h"

namespace {

ino_t netns_inode(const char* path) {
  struct stat st{};
  REQUIRE(::stat(path, &st) == 0);
  return st.st_ino;
}

// A namespace made for the test and deleted at the end, whatever happens.
struct TestNetns {
  std::string name = "lvs-probe-ns-" + std::to_string(::getpid());
  TestNetns() {
    if (::geteuid() != 0) FAIL("the netns tier needs root (ip netns add)");
    REQUIRE(std::system(("ip netns add " + name).c_str()) == 0);
  }
  void remove() { [[maybe_unused]] int rc = std::system(("ip netns del " + name + " 2>/dev/null").c_str()); }
  ~TestNetns() { remove(); }
};

}  // namespace

TEST_CASE("probe netns: probes are made inside, the thread returns, and a deleted namespace is still the one entered") {
  TestNetns ns;
  const ino_t host = netns_inode("/proc/thread-self/ns/net");
  const ino_t target = netns_inode(("/run/netns/" + ns.name).c_str());
  REQUIRE(host != target);
  auto held = lvsd::ProbeNetns::open(ns.name);
  REQUIRE(held);

  ino_t inside = 0;
  REQUIRE(held->run([&] { inside = netns_inode("/proc/thread-self/ns/net"); }));
  CHECK(inside == target);
  CHECK(netns_inode("/proc/thread-self/ns/net") == host);

  ns.remove();
  REQUIRE(::access(("/run/netns/" + ns.name).c_str(), F_OK) != 0);
  inside = 0;
  REQUIRE(held->run([&] { inside = netns_inode("/proc/thread-self/ns/net"); }));
  CHECK(inside == target);
  CHECK(netns_inode("/proc/thread-self/ns/net") == host);
}
