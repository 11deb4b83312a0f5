#pragma once
// A probe is a non-blocking state machine over one socket. It only probes: rise/fall,
// intervals and retries belong to the tracker. An event loop drives it:
//   watch fd() for wanted_events(); call on_ready(events, now) when they fire, and call
//   on_ready(0, now) once now >= deadline(); stop when done() and take result().
// fd() stays the same from construction until destruction (the probe closes it).
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
  virtual int fd() const = 0;                       // -1 once done without a socket
  virtual std::uint32_t wanted_events() const = 0;  // EPOLLIN / EPOLLOUT
  virtual void on_ready(std::uint32_t events, TimePoint now) = 0;
  virtual TimePoint deadline() const = 0;
  virtual bool done() const = 0;
  virtual const ProbeResult& result() const = 0;
};

class TlsContextCache;

// Starts the probe the config describes: the socket is created and connect() begun now.
// Errors that happen at once (bad source address, no route) give a probe already done.
std::unique_ptr<Probe> make_probe(const ProbeConfig&, TlsContextCache&, TimePoint now);

using ProbeFactory = std::function<std::unique_ptr<Probe>(const ProbeConfig&, TimePoint now)>;

}  // namespace lvs::health
