#include "daemon/retirements.h"

#include <algorithm>

namespace lvsd {

namespace ipvs = lvs::ipvs;

std::uint64_t connections_of(const ipvs::ServiceState& s) {
  std::uint64_t n = 0;
  for (const auto& d : s.destinations) n += std::uint64_t{d.active_conns} + d.inactive_conns;
  return n;
}

bool Retirements::follow(const ipvs::Table& observed, const ipvs::Ownership& owned,
                         const std::set<ipvs::ServiceKey>& wanted, std::int64_t now, std::uint32_t deadline_s) {
  bool changed = false;
  // Back in the descriptor: the reconcile gives it the descriptor's weights again.
  std::erase_if(list_, [&](const Retiring& r) {
    if (!wanted.count(ipvs::normalized(r.service.service.key))) return false;
    log_.notice("ipvs: " + r.service.service.key.to_string() + " is in the descriptor again, no longer retiring");
    changed = true;
    return true;
  });
  const auto known = keys();
  for (const auto& s : observed.services) {
    const auto key = ipvs::normalized(s.service.key);
    if (wanted.count(key) || known.count(key) || !owned.owns(key)) continue;
    const auto conns = connections_of(s);
    if (conns == 0) continue;  // nothing in flight: the reconcile deletes it at once
    Retiring r;
    r.service.service = s.service;
    for (const auto& d : s.destinations) {
      r.service.destinations.push_back(d.dest);
      r.service.destinations.back().weight = 0;
    }
    r.since = now;
    r.deadline_s = deadline_s;
    r.connections = conns;
    log_.notice("ipvs: retiring " + key.to_string() + ": gone from the descriptor, " + std::to_string(conns) +
                " connection(s) left; every real at weight 0, deleted when they end or in " +
                std::to_string(deadline_s) + " s");
    list_.push_back(std::move(r));
    changed = true;
  }
  return changed;
}

void Retirements::add_to(ipvs::DesiredState& desired) const {
  for (const auto& r : list_) desired.services.push_back(r.service);
}

bool Retirements::update(std::int64_t now, const ConnectionsLeft& left_of) {
  const std::size_t before = list_.size();
  std::erase_if(list_, [&](Retiring& r) {
    const auto left = left_of(r);
    if (!left) return false;
    r.connections = *left;
    const std::string who = r.service.service.key.to_string();
    if (*left == 0) {
      log_.notice("ipvs: retired " + who + ": no connections left, deleting it");
      return true;
    }
    if (now - r.since >= static_cast<std::int64_t>(r.deadline_s)) {
      log_.warning("ipvs: retired " + who + ": deadline of " + std::to_string(r.deadline_s) + " s passed with " +
                   std::to_string(*left) + " connection(s) left, deleting it");
      return true;
    }
    return false;
  });
  return list_.size() != before;
}

std::set<ipvs::ServiceKey> Retirements::keys() const {
  std::set<ipvs::ServiceKey> out;
  for (const auto& r : list_) out.insert(ipvs::normalized(r.service.service.key));
  return out;
}

}  // namespace lvsd
