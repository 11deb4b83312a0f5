#pragma once
// `lvsd --metrics ADDRESS:PORT`: a tiny HTTP/1.0-1.1 responder on the daemon's event loop
// for Prometheus. GET (or HEAD) /metrics answers the text exposition; another path is
// 404, another method 405, a malformed request 400; every response ends the connection.
// Nothing a local client does can stall the loop or grow memory without bound:
// non-blocking sockets, a cap on clients (more are answered 503 and closed), on the
// request's size (431), on the time from accept to the end of the request (slowloris)
// and on the time a client takes to read its response. The exposition (44 MB at 10,000
// services x 4 reals) is rendered in slices of about `slice_bytes`, one slice per client
// per loop turn and only once the client took the last one: a scrape never holds the loop
// (VRRP adverts, checks) for more than a slice, and a client holds at most one slice of
// memory however slowly it reads. The body ends with the connection (no Content-Length).
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/result.h"
#include "daemon/event_loop.h"
#include "daemon/listener_sweep.h"
#include "daemon/log.h"
#include "health/clock.h"
#include "net/ip_address.h"

namespace lvsd {

struct MetricsLimits {
  std::size_t max_clients = 8;
  std::size_t max_request = 8192;                     // request line and headers
  std::chrono::milliseconds request_timeout{5000};    // from accept to the end of the headers
  std::chrono::milliseconds response_timeout{30000};  // from the first byte queued to the last one taken
  std::size_t slice_bytes = 64 * 1024;                // rendered per client per loop turn (~0.1-0.3 ms)
  std::chrono::milliseconds accept_backoff{1000};     // after accept() ran out of descriptors
  std::chrono::milliseconds warn_interval{60000};     // one warning a minute about refused clients
};

struct ListenAddress {
  lvs::net::IpAddress address;
  std::uint16_t port = 0;
};
// "127.0.0.1:9687" or "[::1]:9687"; the port is required (0: any free port, for tests).
[[nodiscard]] lvs::Result<ListenAddress> parse_listen_address(const std::string& text);

class MetricsServer {
 public:
  // One rendering under way: appends until `out` grew by about `budget` bytes (at least
  // one series) or the document is complete; true when it is.
  using Step = std::function<bool(std::string& out, std::size_t budget)>;
  // Begins a rendering (per GET).
  using Render = std::function<Step()>;

  MetricsServer(EventLoop& loop, const lvs::health::Clock& clock, Logger& log, Render render, MetricsLimits limits = {});
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  [[nodiscard]] lvs::Status listen(const ListenAddress& at);
  // The port listened on (the one given, or the kernel's pick for 0).
  std::uint16_t port() const { return port_; }
  // Closes clients past their deadlines, resumes accepting after a backoff; returns when
  // it has work next.
  std::optional<lvs::health::TimePoint> sweep();
  std::size_t clients() const { return clients_.size(); }
  // Renderings begun, slices rendered.
  std::uint64_t renders() const { return renders_; }
  std::uint64_t slices() const { return slices_; }
  // Bytes the clients' buffers hold (allocated): the memory scrapes cost now.
  std::size_t buffered() const;

 private:
  struct Client {
    int fd = -1;
    std::string in;
    std::string out;    // to send: the status line and headers, a small body, a slice
    std::size_t sent = 0;  // of out
    Step step;          // the rendering, while it has more
    bool responding = false;
    lvs::health::TimePoint deadline;
  };
  void on_accept();
  void on_client(std::uint64_t id, std::uint32_t events);
  // A whole request is in: queues the response.
  void answer(Client& c, std::size_t header_end);
  void respond(Client& c, int code, const char* reason, std::string body_text, const std::string& extra = {});
  // false when the client is gone.
  bool flush(std::uint64_t id);
  void drop(std::uint64_t id);
  void warn(const std::string& line);

  EventLoop& loop_;
  const lvs::health::Clock& clock_;
  Logger& log_;
  Render render_;
  MetricsLimits limits_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, std::unique_ptr<Client>> clients_;
  std::uint64_t renders_ = 0;
  std::uint64_t slices_ = 0;
  AcceptPause accept_pause_;
  std::optional<lvs::health::TimePoint> warned_at_;
  std::size_t held_back_ = 0;
};

}  // namespace lvsd
