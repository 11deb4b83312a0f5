#include "daemon/probe_netns.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace lvsd {

namespace {

class FailedProbe final : public lvs::health::Probe {
 public:
  FailedProbe(std::string message, lvs::health::TimePoint now) : at_(now) {
    result_.ok = false;
    result_.reason = lvs::health::FailureReason::setup;
    result_.message = std::move(message);
  }
  int fd() const override { return -1; }
  void on_ready(std::uint32_t, lvs::health::TimePoint) override {}
  lvs::health::TimePoint deadline() const override { return at_; }
  bool done() const override { return true; }
  const lvs::health::ProbeResult& result() const override { return result_; }

 private:
  lvs::health::TimePoint at_;
  lvs::health::ProbeResult result_;
};

}  // namespace

std::unique_ptr<lvs::health::Probe> failed_probe(std::string message, lvs::health::TimePoint now) {
  return std::make_unique<FailedProbe>(std::move(message), now);
}

lvs::Result<ProbeNetns> ProbeNetns::open(const std::string& name) {
  const std::string where = "network namespace '" + name + "'";
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
    return lvs::Error{EINVAL, where + ": not a valid namespace name"};
  const std::string path = "/run/netns/" + name;
  int target = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    const int e = errno;
    if (e == ENOENT)
      return lvs::Error{e, where + " does not exist (" + path + "; create it with `ip netns add " + name + "`)"};
    return lvs::Error{e, "cannot open " + where + " (" + path + ")"};
  }
  int home = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home < 0) {
    const int e = errno;
    ::close(target);
    return lvs::Error{e, "cannot open the current network namespace (/proc/thread-self/ns/net)"};
  }
  ProbeNetns ns(name, target, home);
  if (auto entered = ns.run([] {}); !entered) return entered.error();
  return ns;
}

ProbeNetns::ProbeNetns(ProbeNetns&& o) noexcept : name_(std::move(o.name_)), target_(o.target_), home_(o.home_) {
  o.target_ = -1;
  o.home_ = -1;
}

ProbeNetns::~ProbeNetns() {
  if (target_ >= 0) ::close(target_);
  if (home_ >= 0) ::close(home_);
}

lvs::Status ProbeNetns::run(const std::function<void()>& fn) const {
  if (::setns(target_, CLONE_NEWNET) != 0) {
    const int e = errno;
    return lvs::Error{e, "cannot enter network namespace '" + name_ + "'" +
                             (e == EPERM ? " (needs CAP_SYS_ADMIN)" : "")};
  }
  struct Back {
    const ProbeNetns& ns;
    ~Back() {
      if (::setns(ns.home_, CLONE_NEWNET) != 0) {
        std::fprintf(stderr, "<2>lvsd: cannot return from network namespace '%s': %s\n", ns.name_.c_str(),
                     std::strerror(errno));
        std::abort();
      }
    }
  } back{*this};
  fn();
  return lvs::ok();
}

}  // namespace lvsd
