#pragma once
// The control socket: a non-blocking Unix stream listener with per-client buffers.
// One request line at a time per client (later lines wait in the buffer until the
// reply has been written out, so at most one reply is buffered); bounded line length,
// idle timeout (also for a client that stops reading its reply) and client count, so
// no client can block the loop or grow memory without bound.
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
#include "daemon/log.h"
#include "health/clock.h"

namespace lvsd {

struct ControlLimits {
  std::size_t max_clients = 64;
  std::size_t max_line = kMaxRequestBytes;
  std::chrono::milliseconds idle_timeout{30000};
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

  // Binds and listens at `path` (a stale socket file is replaced; the folder is created
  // 0755). Mode 0600 without groups in the policy, else 0666.
  [[nodiscard]] lvs::Status listen(const std::string& path);
  // Closes idle clients; returns when the next one would time out.
  std::optional<lvs::health::TimePoint> sweep();
  std::size_t clients() const { return clients_.size(); }
  // Replaces SO_PEERCRED/SO_PEERGROUPS (tests).
  void set_peer_lookup(PeerLookup lookup) { peer_lookup_ = std::move(lookup); }

 private:
  struct Client {
    int fd = -1;
    std::uint64_t id = 0;
    PeerCred peer;
    std::string in;
    std::string out;
    bool busy = false;          // a request is being answered
    bool close_after = false;   // close once `out` is written
    bool eof = false;           // the client shut down its side: answer, then close
    bool in_process = false;    // process() is on the stack for this client
    std::uint32_t events = 1u;  // EPOLLIN (0x001), as registered at accept
    lvs::health::TimePoint last_activity;
  };
  void on_accept();
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
};

// SO_PEERCRED + SO_PEERGROUPS of a connected Unix socket.
PeerCred peer_credentials(int fd);

}  // namespace lvsd
