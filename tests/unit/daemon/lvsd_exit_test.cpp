// The lvsd binary's start failures: each ends in one clear line and exit status 2
// (daemon/README.md), never in an uncaught exception. Needs no privileges: every case
// fails before lvsd touches IPVS.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "harness.h"

namespace {

struct Outcome {
  int status = -1;  // exit status; 128 + signal when killed
  std::string err;
};

// Runs lvsd with `args`, stdin/stdout on /dev/null, no other descriptors, and at most
// `nofile` descriptors when given.
Outcome run_lvsd(std::vector<std::string> args, rlim_t nofile = 0) {
  int p[2];
  REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
  args.insert(args.begin(), LVSD_BINARY);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(p[1], 2);
    ::close_range(3, ~0u, 0);
    if (nofile) {
      rlimit rl{nofile, nofile};
      ::setrlimit(RLIMIT_NOFILE, &rl);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(p[1]);
  Outcome o;
  char buf[4096];
  for (ssize_t n; (n = ::read(p[0], buf, sizeof buf)) > 0;) o.err.append(buf, static_cast<std::size_t>(n));
  ::close(p[0]);
  int ws = 0;
  REQUIRE(::waitpid(pid, &ws, 0) == pid);
  o.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
  return o;
}

}  // namespace

TEST_CASE("lvsd: a --netns that does not exist stops the start with exit 2 and a line naming it") {
  lvsd::test::TempDir dir;
  auto o = run_lvsd({"--config", dir.file("none.json"), "--state-dir", dir.path(), "--control-socket",
                     dir.file("control.sock"), "--netns", "lvs-test-no-such-ns"});
  CHECK(o.status == 2);
  CHECK(o.err.find("<3>health: cannot make probes in the --netns namespace: network namespace "
                   "'lvs-test-no-such-ns' does not exist") != std::string::npos);
}

TEST_CASE("lvsd: an event loop that cannot be created stops the start with exit 2 and a line, no abort") {
  lvsd::test::TempDir dir;
  // 0, 1, 2 and the signalfd: epoll_create1 finds the table full.
  auto o = run_lvsd({"--config", dir.file("none.json"), "--state-dir", dir.path(), "--control-socket",
                     dir.file("control.sock")},
                    4);
  CHECK(o.status == 2);
  CHECK(o.err.find("<3>lvsd: cannot create the event loop: epoll_create1: Too many open files") != std::string::npos);
}

TEST_CASE("lvsd: a malformed --metrics address is a usage error (exit 2) before anything starts") {
  lvsd::test::TempDir dir;
  auto o = run_lvsd({"--config", dir.file("none.json"), "--state-dir", dir.path(), "--control-socket",
                     dir.file("control.sock"), "--metrics", "localhost:9687"});
  CHECK(o.status == 2);
  CHECK(o.err.find("lvsd: --metrics \"localhost:9687\": \"localhost\" is not an IP address (expected ADDRESS:PORT") !=
        std::string::npos);
  CHECK(::access(dir.file("control.sock").c_str(), F_OK) != 0);  // nothing was started
}
