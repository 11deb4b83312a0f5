#include "daemon/retirements.h"

#include <algorithm>

#include "daemon/table_lookup.h"

namespace lvsd {

namespace ipvs = lvs::ipvs;

std::uint64_t connections_of(const ipvs::DestinationState& d) {
  return std::uint64_t{d.active_conns} + d.inactive_conns;
}

namespace {

std::string real_of(const RetiringReal& r) { return endpoint(ipvs::key_of(r.dest)) + " of " + r.service.to_string(); }

}  // namespace

std::uint64_t connections_of(const ipvs::ServiceState& s) {
  std::uint64_t n = 0;
  for (const auto& d : s.destinations) n += connections_of(d);
  return n;
}

bool Retirements::follow(const ipvs::Table& observed, const ipvs::Ownership& owned, const WantedServices& wanted,
                         std::int64_t now, std::uint32_t deadline_s) {
  bool changed = false;
  // Back in the descriptor: the reconcile gives it the descriptor's weights again.
  std::erase_if(list_, [&](const Retiring& r) {
    if (!wanted.count(ipvs::normalized(r.service.service.key))) return false;
    log_.notice("ipvs: " + r.service.service.key.to_string() + " is in the descriptor again, no longer retiring");
    changed = true;
    return true;
  });
  std::erase_if(reals_, [&](const RetiringReal& r) {
    auto it = wanted.find(r.service);
    if (it == wanted.end()) return true;  // its service went too: it retires whole, with this real
    if (!it->second.count(ipvs::key_of(r.dest))) return false;
    log_.notice("ipvs: real " + real_of(r) + " is in the descriptor again, no longer retiring");
    changed = true;
    return true;
  });
  const auto known = keys();
  auto known_real = [&](const ipvs::ServiceKey& s, const ipvs::DestKey& d) {
    return std::any_of(reals_.begin(), reals_.end(),
                       [&](const RetiringReal& r) { return r.service == s && ipvs::key_of(r.dest) == d; });
  };
  for (const auto& s : observed.services) {
    const auto key = ipvs::normalized(s.service.key);
    if (!owned.owns(key)) continue;
    if (auto it = wanted.find(key); it != wanted.end()) {
      for (const auto& d : s.destinations) {
        const auto dk = ipvs::key_of(d.dest);
        const auto conns = connections_of(d);
        if (it->second.count(dk) || conns == 0 || known_real(key, dk)) continue;
        RetiringReal r{key, d.dest, now, deadline_s, conns, d.dest.weight > 0};
        r.dest.weight = 0;
        log_.notice("ipvs: retiring real " + real_of(r) + ": gone from the descriptor, " + std::to_string(conns) +
                    " connection(s) left; weight 0, removed when they end or in " + std::to_string(deadline_s) +
                    " s");
        reals_.push_back(std::move(r));
        changed = true;
      }
      continue;
    }
    const auto conns = connections_of(s);
    if (known.count(key) || conns == 0) continue;  // nothing in flight: the reconcile deletes it at once
    Retiring r;
    r.service.service = s.service;
    for (const auto& d : s.destinations) {
      r.service.destinations.push_back(d.dest);
      r.service.destinations.back().weight = 0;
      if (d.dest.weight > 0) r.serving.insert(ipvs::key_of(d.dest));
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

void Retirements::add_services_to(ipvs::DesiredState& desired) const {
  for (const auto& r : list_) desired.services.push_back(r.service);
}

void Retirements::add_reals_to(ipvs::DesiredState& desired) const {
  if (reals_.empty()) return;
  std::map<ipvs::ServiceKey, std::size_t> at;
  for (std::size_t i = 0; i < desired.services.size(); ++i)
    at.emplace(ipvs::normalized(desired.services[i].service.key), i);
  for (const auto& r : reals_) {
    auto it = at.find(r.service);
    if (it == at.end()) continue;
    auto& dests = desired.services[it->second].destinations;
    const auto dk = ipvs::key_of(r.dest);
    if (std::none_of(dests.begin(), dests.end(), [&](const ipvs::Destination& d) { return ipvs::key_of(d) == dk; }))
      dests.push_back(r.dest);
  }
}

namespace {

// True when the retirement ends now (logged); `what` names it, `removal` the action.
bool ends(Logger& log, std::int64_t now, std::int64_t since, std::uint32_t deadline_s, std::uint64_t left,
          const std::string& what, const std::string& removal) {
  if (left == 0) {
    log.notice("ipvs: retired " + what + ": no connections left, " + removal);
    return true;
  }
  if (now - since >= static_cast<std::int64_t>(deadline_s)) {
    log.warning("ipvs: retired " + what + ": deadline of " + std::to_string(deadline_s) + " s passed with " +
                std::to_string(left) + " connection(s) left, " + removal);
    return true;
  }
  return false;
}

}  // namespace

bool Retirements::update(std::int64_t now, const ConnectionsLeft& left_of, const RealConnectionsLeft& real_left_of) {
  const std::size_t before = list_.size() + reals_.size();
  std::erase_if(list_, [&](Retiring& r) {
    const auto left = left_of(r);
    if (!left) return false;
    r.connections = *left;
    return ends(log_, now, r.since, r.deadline_s, *left, r.service.service.key.to_string(), "deleting it");
  });
  std::erase_if(reals_, [&](RetiringReal& r) {
    const auto left = real_left_of(r);
    if (!left) return false;
    r.connections = *left;
    return ends(log_, now, r.since, r.deadline_s, *left, "real " + real_of(r), "removing it");
  });
  return list_.size() + reals_.size() != before;
}

bool Retirements::was_serving(const ipvs::ServiceKey& service, const ipvs::DestKey& real) const {
  const auto key = ipvs::normalized(service);
  for (const auto& r : list_)
    if (ipvs::normalized(r.service.service.key) == key) return r.serving.count(real) != 0;
  for (const auto& r : reals_)
    if (r.service == key && ipvs::key_of(r.dest) == real) return r.serving;
  return false;
}

std::set<ipvs::ServiceKey> Retirements::keys() const {
  std::set<ipvs::ServiceKey> out;
  for (const auto& r : list_) out.insert(ipvs::normalized(r.service.service.key));
  for (const auto& r : reals_) out.insert(r.service);
  return out;
}

}  // namespace lvsd
