#pragma once
// Telling the segment that a VIP moved: a gratuitous ARP for IPv4 and an unsolicited
// Neighbour Advertisement (Override set) for IPv6, so neighbours replace the old
// balancer's MAC at once instead of when their entry goes stale.
#include "common/result.h"
#include "ha/vip_addresses.h"

namespace lvs::ha {

class Announcer {
 public:
  virtual ~Announcer() = default;
  virtual Status announce(const VipAddress& vip) = 0;
};

// AF_PACKET for ARP, a raw ICMPv6 socket for NA (both need CAP_NET_RAW), opened by
// open() in the calling thread's network namespace (or at first use when not opened).
class KernelAnnouncer final : public Announcer {
 public:
  KernelAnnouncer() = default;
  Status open();
  ~KernelAnnouncer() override;
  KernelAnnouncer(const KernelAnnouncer&) = delete;
  KernelAnnouncer& operator=(const KernelAnnouncer&) = delete;
  Status announce(const VipAddress& vip) override;

 private:
  Status arp(const VipAddress& vip);
  Status neighbour_advert(const VipAddress& vip);
  int packet_fd_ = -1;
  int icmp6_fd_ = -1;
};

}  // namespace lvs::ha
