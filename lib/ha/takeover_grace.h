#pragma once
// The takeover grace: for a short time after becoming master, packets IPVS did not take
// are dropped instead of answered with a reset. A connection opened on the old master
// shortly before a hand-over is not yet known here (its sync message is still on the
// way): its next segment would fall through to the local stack and get a RST, and in NAT
// the real's untranslated reply would make the client reset it. Dropped instead, the
// client retransmits, and by then the sync entry has arrived. The rules are a value
// (GraceRules), their text is a pure function, and applying them goes through
// GraceFilter so tests use a fake; lvsd uses nftables.
#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "model/cluster.h"
#include "net/ip_address.h"

namespace lvs::ha {

struct GraceEndpoint {
  net::IpAddress address;
  std::uint16_t port = 0;
  auto operator<=>(const GraceEndpoint&) const = default;
  bool operator==(const GraceEndpoint&) const = default;
};

struct GraceRules {
  std::vector<GraceEndpoint> services;  // TCP virtual services on a VIP: drop non-SYN input
  std::vector<GraceEndpoint> nat_reals;  // TCP reals of NAT services: drop untranslated replies
  bool empty() const { return services.empty() && nat_reals.empty(); }
  bool operator==(const GraceRules&) const = default;
};

// The TCP services whose address is one of the ha VIPs (a marked fwmark service: each of
// its ports), and the reals behind the NAT ones (sorry servers included), sorted and
// without duplicates.
GraceRules grace_rules(const model::Cluster& cluster);

// nft script that replaces lvsd's table with these rules, in one transaction.
std::string grace_script(const GraceRules& rules);
// nft script that removes lvsd's table, also when there is none.
std::string grace_remove_script();
inline constexpr const char* kGraceTable = "inet lvsd";

class GraceFilter {
 public:
  virtual ~GraceFilter() = default;
  [[nodiscard]] virtual Status install(const GraceRules& rules) = 0;
  [[nodiscard]] virtual Status remove() = 0;
};

}  // namespace lvs::ha
