#pragma once
// The VIPs on this host's interfaces: add, remove, and list what is there. The daemon
// talks to an AddressBackend so the HA part is tested with FakeAddresses; the kernel one
// (RtnlAddresses, rtnetlink through libnl-route-3) is checked in the netns tier.
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "net/ip_address.h"

namespace lvs::ha {

struct VipAddress {
  net::IpPrefix address;  // 192.0.2.10/24
  std::string interface;
  bool operator==(const VipAddress&) const = default;
};

class AddressBackend {
 public:
  virtual ~AddressBackend() = default;
  // Adding one already there, or removing one not there, is success: both are idempotent
  // so a retry after a lost ACK is harmless.
  virtual Status add(const VipAddress& vip) = 0;
  virtual Status remove(const VipAddress& vip) = 0;
  // Whether `address` is configured on `interface` (any prefix).
  virtual Result<bool> present(const VipAddress& vip) = 0;
};

// rtnetlink in the calling thread's network namespace at construction time. IPv6 VIPs
// are added with IFA_F_NODAD: a takeover cannot wait a second for duplicate detection,
// and the peer has just given the address up.
class RtnlAddresses final : public AddressBackend {
 public:
  static Result<std::unique_ptr<RtnlAddresses>> open();
  ~RtnlAddresses() override;
  Status add(const VipAddress& vip) override;
  Status remove(const VipAddress& vip) override;
  Result<bool> present(const VipAddress& vip) override;

 private:
  struct Impl;
  explicit RtnlAddresses(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// In memory, for unit tests; `fail_next` makes the next call fail with that errno.
class FakeAddresses final : public AddressBackend {
 public:
  Status add(const VipAddress& vip) override;
  Status remove(const VipAddress& vip) override;
  Result<bool> present(const VipAddress& vip) override;
  std::vector<VipAddress> configured;
  int fail_next = 0;
  int writes = 0;
};

}  // namespace lvs::ha
