#include "daemon/table_lookup.h"

namespace lvsd {

namespace ipvs = lvs::ipvs;

const ipvs::ServiceState* find_service(const ipvs::Table& table, const ipvs::ServiceKey& key) {
  const ipvs::ServiceKey want = ipvs::normalized(key);
  for (const auto& s : table.services)
    if (ipvs::normalized(s.service.key) == want) return &s;
  return nullptr;
}

const ipvs::DestinationState* find_dest(const ipvs::Table& table, const ipvs::ServiceKey& key,
                                        const ipvs::DestKey& dest) {
  const ipvs::ServiceState* s = find_service(table, key);
  if (!s) return nullptr;
  for (const auto& d : s->destinations)
    if (ipvs::key_of(d.dest) == dest) return &d;
  return nullptr;
}

std::string endpoint(const ipvs::DestKey& key) { return lvs::net::endpoint(key.address, key.port); }

}  // namespace lvsd
