#pragma once
// The short overview lvsctl prints for a valid descriptor.
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/cluster.h"

namespace lvs::model {

struct Summary {
  std::string cluster;
  std::vector<std::string> vips;                   // service addresses, then other HA VIPs
  std::map<std::string, std::size_t> services_per_scheduler;  // expanded services
  std::size_t services = 0;
  std::size_t pools = 0;
  std::size_t reals = 0;                           // distinct real server addresses
  std::string ha;                                  // "none" or a one-line description
  // Marks lvsd sets: "fwmark 10: tcp 192.0.2.10 ports 143, 993" (empty: none).
  std::vector<std::string> marks;
  bool operator==(const Summary&) const = default;
};

Summary summarize(const Cluster& cluster);
std::string to_text(const Summary& summary);
nlohmann::ordered_json to_json(const Summary& summary);

}  // namespace lvs::model
