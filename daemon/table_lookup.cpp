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

TableIndex::TableIndex(const ipvs::Table& table) {
  for (const auto& s : table.services) {
    const ipvs::ServiceKey key = ipvs::normalized(s.service.key);
    services_[key] = &s;
    for (const auto& d : s.destinations) dests_[{key, ipvs::key_of(d.dest)}] = &d;
  }
}

const ipvs::DestinationState* TableIndex::find(const ipvs::ServiceKey& key, const ipvs::DestKey& dest) const {
  auto it = dests_.find({ipvs::normalized(key), dest});
  return it == dests_.end() ? nullptr : it->second;
}

bool TableIndex::has_service(const ipvs::ServiceKey& key) const { return services_.count(ipvs::normalized(key)) != 0; }

std::string endpoint(const ipvs::DestKey& key) { return lvs::net::endpoint(key.address, key.port); }

}  // namespace lvsd
