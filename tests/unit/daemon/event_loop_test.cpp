// The loop's wait and its wakeup timer: failures are reported, a signal is not one.
#include <pthread.h>
#include <sys/epoll.h>
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <atomic>
#include <chrono>
#include <thread>

#include "daemon/event_loop.h"

using namespace std::chrono_literals;

namespace {

// A pipe whose read end replaces `fd` (dup2), so calls on `fd` hit the wrong kind of file.
void replace_with_pipe(int fd) {
  int p[2];
  REQUIRE(::pipe(p) == 0);
  REQUIRE(::dup2(p[0], fd) == fd);
  ::close(p[0]);
  ::close(p[1]);
}

extern "C" void ignore_signal(int) {}

}  // namespace

TEST_CASE("event loop: a failing wait is an error naming errno, not a silent spin") {
  lvsd::EventLoop loop;
  replace_with_pipe(loop.fd());
  auto ran = loop.run_once(0);
  REQUIRE_FALSE(ran);
  CHECK(ran.error().code == EINVAL);
  CHECK(ran.error().message.find("epoll_wait") != std::string::npos);
}

TEST_CASE("event loop: a signal interrupting the wait is not an error") {
  struct sigaction sa{}, old{};
  sa.sa_handler = ignore_signal;  // no SA_RESTART: epoll_wait returns EINTR
  REQUIRE(::sigaction(SIGUSR1, &sa, &old) == 0);
  lvsd::EventLoop loop;
  std::atomic<bool> returned{false};
  const pthread_t waiter = ::pthread_self();
  std::thread kicker([&] {
    // Bounded: one of these lands while the main thread waits.
    for (int i = 0; i < 2000 && !returned; ++i) {
      ::pthread_kill(waiter, SIGUSR1);
      std::this_thread::sleep_for(1ms);
    }
  });
  auto ran = loop.run_once(5000);
  returned = true;
  kicker.join();
  ::sigaction(SIGUSR1, &old, nullptr);
  REQUIRE(ran);
  CHECK(*ran == 0);
}

TEST_CASE("wake timer: a deadline already past fires at once and runs its handler") {
  lvsd::EventLoop loop;
  lvsd::WakeTimer timer;
  int fired = 0;
  REQUIRE(loop.add(timer.fd(), EPOLLIN, [&](std::uint32_t) {
    timer.fired();
    ++fired;
  }));
  REQUIRE(timer.arm(std::chrono::steady_clock::now() - 1s));
  auto ran = loop.run_once(1000);
  REQUIRE(ran);
  CHECK(*ran == 1);
  CHECK(fired == 1);
  REQUIRE(timer.arm(std::nullopt));
  ran = loop.run_once(0);
  REQUIRE(ran);
  CHECK(*ran == 0);
}

TEST_CASE("wake timer: a failure to set it is an error naming errno") {
  lvsd::WakeTimer timer;
  replace_with_pipe(timer.fd());
  auto armed = timer.arm(std::chrono::steady_clock::now() + 1s);
  REQUIRE_FALSE(armed);
  CHECK(armed.error().code == EINVAL);
  CHECK(armed.error().message.find("timerfd_settime") != std::string::npos);
}
