#pragma once
// What the control socket and the metrics responder share in their sweep(): a listener
// paused after accept() ran out of descriptors or memory and put back after a backoff,
// and clients dropped once their deadline passed.
#include <chrono>
#include <optional>
#include <utility>
#include <vector>

#include "daemon/event_loop.h"
#include "health/clock.h"

namespace lvsd {

// The earliest of the times offered: when a sweep has work next.
struct NextWake {
  std::optional<lvs::health::TimePoint> at;
  void offer(lvs::health::TimePoint t) {
    if (!at || t < *at) at = t;
  }
};

// accept() failed for want of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM):
// the connection stays queued and the listener readable, so trying again at once would
// spin the loop.
bool accept_should_pause(int error);

// A listening socket that can be taken out of the loop for a while.
class AcceptPause {
 public:
  AcceptPause(EventLoop& loop, std::chrono::milliseconds backoff, EventLoop::Handler on_ready)
      : loop_(loop), backoff_(backoff), on_ready_(std::move(on_ready)) {}
  // The listener, once it is in the loop.
  void set_listener(int fd) { fd_ = fd; }
  bool paused() const { return until_.has_value(); }
  // Takes the listener out of the loop until `now` + backoff.
  void pause(lvs::health::TimePoint now);
  // Once the backoff is over, puts the listener back (level-triggered: a connection still
  // queued makes it ready at once), or waits another backoff if that fails. While still
  // paused, offers the retry time to `next`.
  void resume_if_due(lvs::health::TimePoint now, NextWake& next);

 private:
  EventLoop& loop_;
  std::chrono::milliseconds backoff_;
  EventLoop::Handler on_ready_;
  int fd_ = -1;
  std::optional<lvs::health::TimePoint> until_;
};

// A client's deadline and what to say when it passes (nullptr: nothing).
struct ClientDeadline {
  lvs::health::TimePoint at;
  const char* why = nullptr;
};

// Calls drop(id, why) for every client of `clients` (a map from id to a pointer to the
// client) whose deadline (deadline_of(client): std::optional<ClientDeadline>, nullopt for
// none) is not after `now`, after the walk, so `drop` may erase from the map; offers the
// others' deadlines to `next`.
template <class Clients, class DeadlineOf, class Drop>
void expire_clients(const Clients& clients, lvs::health::TimePoint now, DeadlineOf deadline_of, Drop drop,
                    NextWake& next) {
  std::vector<std::pair<typename Clients::key_type, const char*>> expired;
  for (const auto& [id, c] : clients) {
    const std::optional<ClientDeadline> d = deadline_of(*c);
    if (!d) continue;
    if (d->at <= now) expired.emplace_back(id, d->why);
    else next.offer(d->at);
  }
  for (const auto& [id, why] : expired) drop(id, why);
}

}  // namespace lvsd
