#pragma once
// A probe is a non-blocking state machine over one socket. It only probes: rise/fall,
// intervals and retries belong to the tracker. An event loop drives it:
//   watch fd() edge-triggered for input, output and hang-up from the start; call
//   on_ready(events, now) when they fire, and on_ready(0, now) once now >= deadline();
//   stop when done() and take the result.
// Edge-triggered: on every on_ready the probe goes as far as it can, until its socket
// would block. It never needs its registration changed, which saves a syscall per turn
// of the dialogue. fd() stays the same from construction until destruction (the probe
// closes it, which also takes it out of the epoll set).
#include <cstdint>
#include <functional>
#include <memory>

#include "health/clock.h"
#include "health/probe_config.h"
#include "health/probe_result.h"

namespace lvs::health {

class Probe {
 public:
  virtual ~Probe() = default;
  virtual int fd() const = 0;  // -1 once done without a socket
  virtual void on_ready(std::uint32_t events, TimePoint now) = 0;
  virtual TimePoint deadline() const = 0;
  virtual bool done() const = 0;
  virtual const ProbeResult& result() const = 0;
  // The result moved out, once done; the probe is not asked again.
  virtual ProbeResult take_result() { return result(); }
};

class TlsContextCache;

// Starts the probe the config describes: the socket is created and connect() begun now.
// Errors that happen at once (bad source address, no route) give a probe already done.
std::unique_ptr<Probe> make_probe(const ProbeConfig&, TlsContextCache&, TimePoint now);

using ProbeFactory = std::function<std::unique_ptr<Probe>(const ProbeConfig&, TimePoint now)>;

}  // namespace lvs::health
