#pragma once
// The control socket: a non-blocking Unix stream listener with per-client buffers.
// One request line at a time per client (later lines wait in the buffer until the
// reply has been written out, so at most one reply is buffered); bounded line length,
// idle timeout, reply timeout (a client that does not read its reply), client count in
// all and per uid, so no client can block the loop, grow memory or hold slots without
// bound. A peer with no role is answered and closed at accept. Warnings about one
// peer's refused requests are rate-limited per uid.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "daemon/control_protocol.h"
#include "daemon/event_loop.h"
#include "daemon/listener_sweep.h"
#include "daemon/log.h"
#include "health/clock.h"

namespace lvsd {

struct ControlLimits {
  std::size_t max_clients = 64;
  std::size_t max_clients_per_uid = 16;
  std::size_t max_line = kMaxRequestBytes;
  // Since the last request line (empty lines do not count) or the last reply written.
  std::chrono::milliseconds idle_timeout{30000};
  // From a reply's first byte queued to its last byte taken by the client.
  std::chrono::milliseconds reply_timeout{10000};
  // Not accepting for this long after accept() ran out of descriptors or memory.
  std::chrono::milliseconds accept_backoff{1000};
  // Bytes of events a subscriber has not taken yet; one more event and it is dropped
  // (as is a subscriber whose backlog is older than reply_timeout).
  std::size_t max_event_backlog = 256 * 1024;
  // At most one warning per uid per interval about its refused requests or connections.
  std::chrono::milliseconds warn_interval{60000};
};

class ControlServer {
 public:
  using Respond = std::function<void(const nlohmann::json&)>;
  // Runs an authorized request; calls `respond` once, now or later.
  using Handler = std::function<void(const Request&, Respond)>;
  using PeerLookup = std::function<PeerCred(int fd)>;

  ControlServer(EventLoop& loop, const lvs::health::Clock& clock, Logger& log, AccessPolicy policy, Handler handler,
                ControlLimits limits = {});
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Binds and listens at `path`. The folder is created 0755 if missing; an existing one
  // must be owned by root or by us and not writable by group or others. A socket file
  // already there is replaced only when nothing answers on it (left by a daemon that
  // did not exit cleanly); a live one (another lvsd, say for another --netns) is an
  // error. Mode 0600 without groups in the policy, else 0666 (the credentials decide).
  [[nodiscard]] lvs::Status listen(const std::string& path);
  // Closes idle clients and those that do not read their reply, resumes accepting after
  // a backoff; returns when it has work next.
  std::optional<lvs::health::TimePoint> sweep();
  std::size_t clients() const { return clients_.size(); }
  // One JSON line to every client that sent {"command":"events"}. Never blocks: a
  // subscriber that does not keep up is dropped.
  void publish(const nlohmann::json& event);
  // Replaces SO_PEERCRED/SO_PEERGROUPS (tests).
  void set_peer_lookup(PeerLookup lookup) { peer_lookup_ = std::move(lookup); }

 private:
  struct Client {
    int fd = -1;
    std::uint64_t id = 0;
    PeerCred peer;
    Access access = Access::none;
    std::string in;
    std::string out;
    bool busy = false;          // a request is being answered
    bool close_after = false;   // close once `out` is written
    bool eof = false;           // the client shut down its side: answer, then close
    bool in_process = false;    // process() is on the stack for this client
    bool subscriber = false;    // sent "events": gets event lines, sends nothing more
    std::uint32_t events = 1u;  // EPOLLIN (0x001), as registered at accept
    lvs::health::TimePoint last_activity;  // accepted, last request line, last reply out
    lvs::health::TimePoint reply_since;    // when `out` last became non-empty
  };
  struct Warned {
    lvs::health::TimePoint at;    // last warning logged for this uid
    std::size_t held_back = 0;    // warnings not logged since
  };
  void on_accept();
  std::size_t same_uid_count(uid_t uid) const;
  // Before a limit refuses someone: handles what the clients sent, this turn instead of the
  // next, so clients that already hung up (their EOF not yet read) free their slots.
  void settle_clients();
  // Answers `message` (best effort, never blocks) and closes.
  void refuse(int fd, const PeerCred& peer, const std::string& message);
  void pause_accepting(int error);
  void warn_peer(uid_t uid, const std::string& line);
  void on_client(std::uint64_t id, std::uint32_t events);
  void process(Client& c);
  // false when the client was dropped (its Client is gone).
  bool send(Client& c, const std::string& line);
  void flush(Client& c);
  void update_events(Client& c);
  void drop(std::uint64_t id, const char* why);

  EventLoop& loop_;
  const lvs::health::Clock& clock_;
  Logger& log_;
  AccessPolicy policy_;
  Handler handler_;
  ControlLimits limits_;
  PeerLookup peer_lookup_;
  int listen_fd_ = -1;
  std::string path_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, std::unique_ptr<Client>> clients_;
  std::map<uid_t, Warned> warned_;
  AcceptPause accept_pause_;
  bool accept_failing_ = false;  // an episode of failed accepts is on: logged once
};

// SO_PEERCRED + SO_PEERGROUPS of a connected Unix socket.
PeerCred peer_credentials(int fd);

}  // namespace lvsd
