#include "ipvs/reconcile.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace lvs::ipvs {

namespace {

// FNV-1a over the fields that make a key; good enough spread for hash maps of 10^4..10^5.
struct Fnv {
  std::size_t h = 1469598103934665603ull;
  void add(const void* p, std::size_t n) {
    auto* b = static_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
  }
  template <class T>
  void add(const T& v) { add(&v, sizeof v); }
};

struct ServiceKeyHash {
  std::size_t operator()(const ServiceKey& k) const {
    Fnv f;
    f.add(k.family);
    f.add(k.protocol);
    f.add(k.address.bytes.data(), k.address.bytes.size());
    f.add(k.port);
    f.add(k.fwmark);
    return f.h;
  }
};

struct DestKeyHash {
  std::size_t operator()(const DestKey& k) const {
    Fnv f;
    f.add(k.address.family);
    f.add(k.address.bytes.data(), k.address.bytes.size());
    f.add(k.port);
    return f.h;
  }
};

constexpr std::uint32_t full_netmask(Family f) { return f == Family::inet6 ? 128u : 0xffffffffu; }

// Below this many destinations per side a linear scan beats building a hash map.
constexpr std::size_t kLinearDestLimit = 16;

class DestIndex {
 public:
  explicit DestIndex(const std::vector<DestinationState>& dests) : dests_(dests) {
    if (dests.size() > kLinearDestLimit) {
      map_.reserve(dests.size() * 2);
      for (const auto& d : dests) map_.emplace(key_of(d.dest), &d.dest);
    }
  }
  const Destination* find(const DestKey& k) const {
    if (dests_.size() > kLinearDestLimit) {
      auto it = map_.find(k);
      return it == map_.end() ? nullptr : it->second;
    }
    for (const auto& d : dests_)
      if (key_of(d.dest) == k) return &d.dest;
    return nullptr;
  }

 private:
  const std::vector<DestinationState>& dests_;
  std::unordered_map<DestKey, const Destination*, DestKeyHash> map_;
};

// The desired destinations of one service, first occurrence of each key kept.
std::vector<Destination> unique_dests(const std::vector<Destination>& in) {
  std::vector<Destination> out;
  out.reserve(in.size());
  if (in.size() <= kLinearDestLimit) {
    for (const auto& d : in) {
      auto k = key_of(d);
      if (std::none_of(out.begin(), out.end(), [&](const Destination& o) { return key_of(o) == k; }))
        out.push_back(normalized(d));
    }
    return out;
  }
  std::unordered_set<DestKey, DestKeyHash> seen;
  seen.reserve(in.size() * 2);
  for (const auto& d : in)
    if (seen.insert(key_of(d)).second) out.push_back(normalized(d));
  return out;
}

void diff_destinations(const ServiceKey& key, const std::vector<Destination>& wanted,
                       const std::vector<DestinationState>& have, std::vector<Operation>& ops) {
  // Deletions first, in address order so the plan is deterministic whatever the kernel's
  // hash order was.
  std::vector<DestKey> gone;
  {
    const bool small = wanted.size() <= kLinearDestLimit;
    std::unordered_set<DestKey, DestKeyHash> want_keys;
    if (!small) {
      want_keys.reserve(wanted.size() * 2);
      for (const auto& d : wanted) want_keys.insert(key_of(d));
    }
    for (const auto& h : have) {
      DestKey k = key_of(h.dest);
      bool kept = small ? std::any_of(wanted.begin(), wanted.end(),
                                      [&](const Destination& d) { return key_of(d) == k; })
                        : want_keys.count(k) != 0;
      if (!kept) gone.push_back(k);
    }
  }
  std::sort(gone.begin(), gone.end());
  for (auto& k : gone) ops.emplace_back(DeleteDest{key, std::move(k)});

  DestIndex index(have);
  std::vector<const Destination*> adds;
  for (const auto& want : wanted) {
    const Destination* cur = index.find(key_of(want));
    if (cur == nullptr) {
      adds.push_back(&want);
    } else if (normalized(*cur) != want) {
      ops.emplace_back(EditDest{key, want});
    }
  }
  for (const auto* d : adds) ops.emplace_back(AddDest{key, *d});
}

}  // namespace

ServiceKey normalized(const ServiceKey& key) {
  if (!key.is_fwmark()) return key;
  ServiceKey k;
  k.family = key.family;
  k.fwmark = key.fwmark;
  k.address.family = key.family;
  return k;
}

Service normalized(const Service& s) {
  Service n = s;
  n.key = normalized(s.key);
  n.flags &= ~svc_flag::hashed;
  if (n.timeout_s > 0) n.flags |= svc_flag::persistent;
  if ((n.flags & svc_flag::persistent) == 0) {
    n.timeout_s = 0;
    n.netmask = full_netmask(n.key.family);
  } else if (n.key.family == Family::inet6 && n.netmask > 128) {
    n.netmask = 128;
  }
  return n;
}

Destination normalized(const Destination& d) {
  Destination n = d;
  n.family = d.address.family;
  if (n.forward != Forward::tunnel) {
    n.tunnel_type = TunnelType::ipip;
    n.tunnel_port = 0;
    n.tunnel_flags = 0;
  }
  return n;
}

Plan diff(const DesiredState& desired, const Table& observed, const Ownership& owned,
          const DiffOptions& options) {
  Plan plan;
  auto& ops = plan.operations;

  std::unordered_map<ServiceKey, const ServiceState*, ServiceKeyHash> have;
  have.reserve(observed.services.size() * 2);
  for (const auto& s : observed.services) have.emplace(normalized(s.service.key), &s);

  // The desired services, normalized, first occurrence of each key kept (the model's
  // validation already rejects duplicates; this keeps diff total).
  std::unordered_set<ServiceKey, ServiceKeyHash> wanted;
  wanted.reserve(desired.services.size() * 2);
  std::vector<const DesiredService*> order;
  order.reserve(desired.services.size());
  for (const auto& ds : desired.services)
    if (wanted.insert(normalized(ds.service.key)).second) order.push_back(&ds);

  // 1. Services to delete: ours (or any, with prune) that the descriptor no longer has.
  std::vector<const ServiceState*> doomed;
  for (const auto& s : observed.services) {
    ServiceKey k = normalized(s.service.key);
    if (wanted.count(k) != 0) continue;
    if (options.prune || owned.owns(k)) doomed.push_back(&s);
    else plan.left_alone.push_back(k);
  }
  std::sort(plan.left_alone.begin(), plan.left_alone.end());
  std::sort(doomed.begin(), doomed.end(), [](const ServiceState* a, const ServiceState* b) {
    return normalized(a->service.key) < normalized(b->service.key);
  });
  for (const auto* s : doomed) {
    ServiceKey k = normalized(s->service.key);
    std::vector<DestKey> dests;
    dests.reserve(s->destinations.size());
    for (const auto& d : s->destinations) dests.push_back(key_of(d.dest));
    std::sort(dests.begin(), dests.end());
    for (auto& d : dests) ops.emplace_back(DeleteDest{k, std::move(d)});
    ops.emplace_back(DeleteService{k});
  }

  // 2. Desired services, in descriptor order: add (then its reals) or edit in place.
  for (const auto* ds : order) {
    Service want = normalized(ds->service);
    std::vector<Destination> dests = unique_dests(ds->destinations);
    auto it = have.find(want.key);
    if (it == have.end()) {
      ops.emplace_back(AddService{want});
      for (auto& d : dests) ops.emplace_back(AddDest{want.key, std::move(d)});
      continue;
    }
    if (!owned.owns(want.key)) plan.adopted.push_back(want.key);
    const ServiceState& cur = *it->second;
    if (normalized(cur.service) != want) ops.emplace_back(EditService{want});
    diff_destinations(want.key, dests, cur.destinations, ops);
  }
  return plan;
}

PlanCounts count(const std::vector<Operation>& ops) {
  PlanCounts c;
  for (const auto& op : ops) {
    if (std::holds_alternative<AddService>(op)) ++c.add_service;
    else if (std::holds_alternative<EditService>(op)) ++c.edit_service;
    else if (std::holds_alternative<DeleteService>(op)) ++c.delete_service;
    else if (std::holds_alternative<AddDest>(op)) ++c.add_dest;
    else if (std::holds_alternative<EditDest>(op)) ++c.edit_dest;
    else if (std::holds_alternative<DeleteDest>(op)) ++c.delete_dest;
  }
  return c;
}

}  // namespace lvs::ipvs
