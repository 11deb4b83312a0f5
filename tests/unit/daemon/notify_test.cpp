// sd_notify through libsystemd, received on a datagram socket standing in for systemd.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>

#include "daemon/notify.h"
#include "harness.h"

namespace {

std::string receive(int fd) {
  char buf[4096];
  ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

}  // namespace

TEST_CASE("notify: READY, STATUS and WATCHDOG reach the service manager's socket; the period is half WATCHDOG_USEC") {
  lvsd::test::TempDir dir;
  const std::string path = dir.file("notify.sock");
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  ::setenv("WATCHDOG_USEC", "3000000", 1);
  ::unsetenv("WATCHDOG_PID");
  lvsd::SdNotifier n;
  n.status("cluster t: 1 services");
  n.ready();
  n.watchdog();
  CHECK(receive(fd) == "STATUS=cluster t: 1 services");
  CHECK(receive(fd) == "READY=1");
  CHECK(receive(fd) == "WATCHDOG=1");
  auto period = lvsd::SdNotifier::watchdog_period();
  REQUIRE(period);
  CHECK(*period == std::chrono::microseconds(1500000));
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
  CHECK_FALSE(lvsd::SdNotifier::watchdog_period());
  ::close(fd);
}
