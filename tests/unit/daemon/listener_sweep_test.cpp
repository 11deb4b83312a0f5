// The pieces both servers' sweep() share: the accept pause and client deadlines.
#include <sys/epoll.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <map>
#include <memory>

#include "daemon/listener_sweep.h"
#include "harness.h"

using namespace std::chrono_literals;

TEST_CASE("accept pause: only running out of descriptors or memory pauses accepting") {
  for (int e : {EMFILE, ENFILE, ENOBUFS, ENOMEM}) CHECK(lvsd::accept_should_pause(e));
  for (int e : {EAGAIN, EINTR, ECONNABORTED, EPERM}) CHECK_FALSE(lvsd::accept_should_pause(e));
}

TEST_CASE("accept pause: the listener leaves the loop for the backoff and comes back with its handler") {
  lvsd::EventLoop loop;
  lvsd::test::ManualClock clock;
  int p[2];
  REQUIRE(::pipe(p) == 0);
  REQUIRE(::write(p[1], "x", 1) == 1);  // always readable, as a listener with a queued client
  int ready = 0;
  lvsd::AcceptPause pause(loop, 1s, [&ready](std::uint32_t) { ++ready; });
  REQUIRE(loop.add(p[0], EPOLLIN, [](std::uint32_t) {}));
  pause.set_listener(p[0]);
  pause.pause(clock.now());
  CHECK(pause.paused());
  CHECK(loop.size() == 0);
  lvsd::NextWake next;
  clock.advance(999ms);
  pause.resume_if_due(clock.now(), next);
  CHECK(pause.paused());
  REQUIRE(next.at);
  CHECK(*next.at - clock.now() == 1ms);
  clock.advance(1ms);
  lvsd::NextWake after;
  pause.resume_if_due(clock.now(), after);
  CHECK_FALSE(pause.paused());
  CHECK_FALSE(after.at);
  auto ran = loop.run_once(0);
  REQUIRE(ran);
  CHECK(*ran == 1);
  CHECK(ready == 1);  // the handler given at construction, not the one it was added with
  loop.remove(p[0]);
  ::close(p[0]);
  ::close(p[1]);
}

TEST_CASE("accept pause: a listener the loop will not take back is retried after another backoff") {
  lvsd::EventLoop loop;
  lvsd::test::ManualClock clock;
  lvsd::AcceptPause pause(loop, 1s, [](std::uint32_t) {});
  pause.set_listener(-1);  // epoll_ctl refuses it
  pause.pause(clock.now());
  clock.advance(1s);
  lvsd::NextWake next;
  pause.resume_if_due(clock.now(), next);
  CHECK(pause.paused());
  REQUIRE(next.at);
  CHECK(*next.at - clock.now() == 1s);
}

TEST_CASE("client deadlines: past ones are dropped with their reason after the walk, the next is the earliest") {
  struct Client {
    std::optional<lvsd::ClientDeadline> deadline;
  };
  lvsd::test::ManualClock clock;
  const auto now = clock.now();
  std::map<int, std::unique_ptr<Client>> clients;
  clients.emplace(1, std::make_unique<Client>(Client{lvsd::ClientDeadline{now - 1s, "idle"}}));
  clients.emplace(2, std::make_unique<Client>(Client{lvsd::ClientDeadline{now + 5s, "idle"}}));
  clients.emplace(3, std::make_unique<Client>(Client{std::nullopt}));  // waiting for us: no deadline
  clients.emplace(4, std::make_unique<Client>(Client{lvsd::ClientDeadline{now, "slow"}}));
  clients.emplace(5, std::make_unique<Client>(Client{lvsd::ClientDeadline{now + 2s, nullptr}}));
  std::vector<std::pair<int, std::string>> dropped;
  lvsd::NextWake next;
  lvsd::expire_clients(
      clients, now, [](const Client& c) { return c.deadline; },
      [&](int id, const char* why) {
        dropped.emplace_back(id, why ? why : "");
        clients.erase(id);  // as the servers' drop() does
      },
      next);
  CHECK(dropped == std::vector<std::pair<int, std::string>>{{1, "idle"}, {4, "slow"}});
  CHECK(clients.size() == 3);
  REQUIRE(next.at);
  CHECK(*next.at - now == 2s);
}
