#pragma once
// The network namespace the probes' sockets are made in (--netns). Opened once at start:
// a failure to enter it stops the start instead of probing silently from the host's
// namespace, and a namespace unmounted later (`ip netns del`) stays reachable through
// the held descriptor.
#include <functional>
#include <memory>
#include <string>

#include "common/result.h"
#include "health/probe.h"

namespace lvsd {

class ProbeNetns {
 public:
  // Opens /run/netns/NAME and checks that the thread can enter it and come back.
  [[nodiscard]] static lvs::Result<ProbeNetns> open(const std::string& name);
  ProbeNetns(ProbeNetns&&) noexcept;
  ProbeNetns& operator=(ProbeNetns&&) = delete;
  ProbeNetns(const ProbeNetns&) = delete;
  ~ProbeNetns();

  const std::string& name() const { return name_; }
  // Runs `fn` with the calling thread in the namespace. If it cannot come back the
  // process aborts: going on in the wrong namespace would probe from the wrong place.
  [[nodiscard]] lvs::Status run(const std::function<void()>& fn) const;

 private:
  ProbeNetns(std::string name, int target, int home) : name_(std::move(name)), target_(target), home_(home) {}
  std::string name_;
  int target_ = -1;
  int home_ = -1;
};

// A probe already done with a failure, for a check that could not be started.
std::unique_ptr<lvs::health::Probe> failed_probe(std::string message, lvs::health::TimePoint now);

}  // namespace lvsd
