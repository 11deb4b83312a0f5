#pragma once
// The firewall marks lvsd sets for its marked services (fwmark with address and ports):
// packets to address:protocol:port(s) get the service's mark, so IPVS sends them to one
// fwmark service and persistence covers all those ports. The marks are a value
// (MarkRules), their nft text is a pure function, and applying them goes through
// MarkFilter so tests use a fake; lvsd and lvsctl use nftables (lib/nft).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "model/cluster.h"

namespace lvs::desired {

struct MarkRule {
  net::IpAddress address;  // its family says ip or ip6
  model::Protocol protocol = model::Protocol::tcp;
  std::vector<std::uint16_t> ports;  // as written
  std::uint32_t mark = 0;
  bool operator==(const MarkRule&) const = default;
};

struct MarkRules {
  std::vector<MarkRule> rules;  // in descriptor order
  bool empty() const { return rules.empty(); }
  std::size_t port_count() const {
    std::size_t n = 0;
    for (const auto& r : rules) n += r.ports.size();
    return n;
  }
  bool operator==(const MarkRules&) const = default;
};

// One rule per marked service of the cluster (its virtual services, expanded when empty).
MarkRules mark_rules(const model::Cluster& cluster);

// Its own table, not the takeover grace's `inet lvsd` (deleted at the grace's end).
inline constexpr const char* kMarkTable = "inet lvsd_mark";
// nft script that replaces the table with these rules in one transaction (atomic: no
// packet sees a half-written table). The table's comment is mark_fingerprint(rules).
std::string mark_script(const MarkRules& rules);
// "lvsd <16 hex digits>": a hash of the rules, so a restart can tell that the table
// already holds them and write nothing.
std::string mark_fingerprint(const MarkRules& rules);
// nft script that removes the table, also when there is none.
std::string mark_remove_script();

class MarkFilter {
 public:
  virtual ~MarkFilter() = default;
  [[nodiscard]] virtual Status install(const MarkRules& rules) = 0;
  [[nodiscard]] virtual Status remove() = 0;
};

}  // namespace lvs::desired
