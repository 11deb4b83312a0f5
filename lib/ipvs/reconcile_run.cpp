#include "ipvs/reconcile_run.h"

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>
#include <variant>

#include "common/overloaded.h"

namespace lvs::ipvs {

namespace {

std::map<ServiceKey, const ServiceState*> index_services(const Table& table) {
  std::map<ServiceKey, const ServiceState*> out;
  for (const auto& s : table.services) out.emplace(normalized(s.service.key), &s);
  return out;
}

const Destination* find_dest(const ServiceState* s, const DestKey& key) {
  if (!s) return nullptr;
  for (const auto& d : s->destinations)
    if (key_of(d.dest) == key) return &d.dest;
  return nullptr;
}

// The service key an add or delete of a service is about; nullopt for other operations.
std::optional<ServiceKey> service_changed(const Operation& op) {
  if (const auto* a = std::get_if<AddService>(&op)) return normalized(a->service.key);
  if (const auto* d = std::get_if<DeleteService>(&op)) return normalized(d->key);
  return std::nullopt;
}

bool shows(const std::map<ServiceKey, const ServiceState*>& index, const Operation& op) {
  auto service = [&](const ServiceKey& k) -> const ServiceState* {
    auto it = index.find(normalized(k));
    return it == index.end() ? nullptr : it->second;
  };
  return std::visit(
      overloaded{
          [&](const AddService& o) { return service(o.service.key) != nullptr; },
          [&](const EditService& o) {
            const auto* s = service(o.service.key);
            return s && normalized(s->service) == normalized(o.service);
          },
          [&](const DeleteService& o) { return service(o.key) == nullptr; },
          [&](const AddDest& o) { return find_dest(service(o.service), key_of(o.dest)) != nullptr; },
          [&](const EditDest& o) {
            const auto* d = find_dest(service(o.service), key_of(o.dest));
            return d && normalized(*d) == normalized(o.dest);
          },
          [&](const DeleteDest& o) { return find_dest(service(o.service), o.dest) == nullptr; },
      },
      op);
}

// The (normalized) key of the service an operation is about.
ServiceKey service_of(const Operation& op) {
  return normalized(std::visit(overloaded{
                                   [](const AddService& o) { return o.service.key; },
                                   [](const EditService& o) { return o.service.key; },
                                   [](const DeleteService& o) { return o.key; },
                                   [](const AddDest& o) { return o.service; },
                                   [](const EditDest& o) { return o.service; },
                                   [](const DeleteDest& o) { return o.service; },
                               },
                               op));
}

bool changes_ownership(const Plan& plan) {
  if (!plan.adopted.empty()) return true;
  return std::any_of(plan.operations.begin(), plan.operations.end(),
                     [](const Operation& op) { return service_changed(op).has_value(); });
}

// The table must be read back when an outcome is in doubt or a service add/delete failed.
bool needs_read_back(const std::vector<OperationOutcome>& outcomes) {
  return std::any_of(outcomes.begin(), outcomes.end(), [](const OperationOutcome& o) {
    return !o.applied && ((o.error && outcome_unknown(*o.error)) || service_changed(o.operation));
  });
}

}  // namespace

std::size_t ReconcileOutcome::applied() const {
  return static_cast<std::size_t>(
      std::count_if(outcomes.begin(), outcomes.end(), [](const OperationOutcome& o) { return o.applied; }));
}

std::size_t ReconcileOutcome::failed() const { return outcomes.size() - applied(); }

bool outcome_unknown(const Error& error) { return error.code == ENOBUFS || error.code == EINTR; }

bool table_shows(const Table& table, const Operation& op) { return shows(index_services(table), op); }

bool record_ownership(Ownership& owned, const Table& observed, const Plan& plan,
                      const std::vector<OperationOutcome>& outcomes, const Table* after,
                      const std::set<ServiceKey>* only) {
  // Changes are counted, not found by comparing with a copy: a drain (with `only`) must
  // not copy or walk a record of 10,000 services.
  bool changed = false;
  std::set<ServiceKey> touched;
  for (const auto& o : outcomes)
    if (auto k = service_changed(o.operation)) touched.insert(*k);
  const auto present = index_services(observed);
  auto gone = [&](const ServiceKey& k) { return !present.count(k) && !touched.count(k); };
  if (only) {
    for (const auto& k : *only)
      if (gone(k) && owned.services.erase(k)) changed = true;
  } else {
    changed = std::erase_if(owned.services, gone) != 0;
  }

  const auto later = after ? index_services(*after) : std::map<ServiceKey, const ServiceState*>{};
  for (const auto& o : outcomes) {
    auto key = service_changed(o.operation);
    if (!key) continue;
    const bool add = std::holds_alternative<AddService>(o.operation);
    bool own;
    if (o.applied) own = add;
    else if (after) own = later.count(*key) != 0;  // the table says whose it is now
    else if (o.error && outcome_unknown(*o.error)) own = false;  // never risk deleting someone else's
    else own = owned.owns(*key);  // refused by the kernel: nothing changed
    if (own ? owned.services.insert(*key).second : owned.services.erase(*key) != 0) changed = true;
  }
  for (const auto& k : plan.adopted)
    if (owned.services.insert(normalized(k)).second) changed = true;
  return changed;
}

void apply_to(Table& table, const std::vector<Operation>& ops) {
  // One index for the whole batch, of the services it touches: a plan of 50,000
  // operations on an empty table (a first start) must not search the table once per
  // operation, and one edit in a table of 10,000 services must not index them all.
  constexpr std::size_t absent = static_cast<std::size_t>(-1);
  std::map<ServiceKey, std::size_t> index;
  for (const auto& op : ops) index.emplace(service_of(op), absent);
  std::size_t unresolved = index.size();
  for (std::size_t i = 0; i < table.services.size() && unresolved > 0; ++i) {
    auto it = index.find(normalized(table.services[i].service.key));
    if (it != index.end() && it->second == absent) {  // the first of equal keys, as a search would find
      it->second = i;
      --unresolved;
    }
  }
  std::vector<bool> gone(table.services.size(), false);
  auto service = [&](const ServiceKey& k) -> ServiceState* {
    auto it = index.find(normalized(k));
    return it == index.end() || it->second == absent || gone[it->second] ? nullptr : &table.services[it->second];
  };
  auto dest = [](ServiceState* s, const DestKey& key) -> std::vector<DestinationState>::iterator {
    return std::find_if(s->destinations.begin(), s->destinations.end(),
                        [&](const DestinationState& d) { return key_of(d.dest) == key; });
  };
  for (const auto& op : ops)
    std::visit(overloaded{
                   [&](const AddService& o) {
                     if (service(o.service.key)) return;
                     table.services.push_back(ServiceState{o.service, {}, {}});
                     gone.push_back(false);
                     index[normalized(o.service.key)] = table.services.size() - 1;
                   },
                   [&](const EditService& o) {
                     if (auto* s = service(o.service.key)) s->service = o.service;
                   },
                   [&](const DeleteService& o) {
                     auto it = index.find(normalized(o.key));
                     if (it != index.end() && it->second != absent) gone[it->second] = true;
                   },
                   [&](const AddDest& o) {
                     auto* s = service(o.service);
                     if (s && dest(s, key_of(o.dest)) == s->destinations.end())
                       s->destinations.insert(s->destinations.begin(), DestinationState{o.dest, 0, 0, 0, {}});
                   },
                   [&](const EditDest& o) {
                     auto* s = service(o.service);
                     if (!s) return;
                     if (auto it = dest(s, key_of(o.dest)); it != s->destinations.end()) it->dest = o.dest;
                   },
                   [&](const DeleteDest& o) {
                     auto* s = service(o.service);
                     if (!s) return;
                     if (auto it = dest(s, o.dest); it != s->destinations.end()) s->destinations.erase(it);
                   },
               },
               op);
  if (std::find(gone.begin(), gone.end(), true) == gone.end()) return;
  std::vector<ServiceState> kept;
  kept.reserve(table.services.size());
  for (std::size_t i = 0; i < table.services.size(); ++i)
    if (!gone[i]) kept.push_back(std::move(table.services[i]));
  table.services = std::move(kept);
}

void apply_to(Table& table, const Operation& op) { apply_to(table, std::vector<Operation>{op}); }

Result<ReconcileOutcome> reconcile(IpvsBackend& backend, const DesiredState& desired, Ownership& owned,
                                   const ReconcileOptions& options) {
  ReconcileOutcome out;
  if (options.observed && options.only) {
    for (const auto& s : options.observed->services)
      if (options.only->count(normalized(s.service.key))) out.observed.services.push_back(s);
  } else if (options.observed) {
    out.observed = *options.observed;
  } else {
    auto table = backend.read_table();
    if (!table) return make_error(table.error().code, "cannot read the IPVS table: " + table.error().message);
    out.observed = std::move(*table);
  }
  out.plan = diff(desired, out.observed, owned, options.diff);
  if (options.dry_run) return out;

  if (options.save && changes_ownership(out.plan)) {
    // Proves the record can be written before the kernel changes.
    auto saved = options.save(owned);
    if (!saved)
      return make_error(saved.error().code,
                        "cannot write the ownership record; nothing changed: " + saved.error().message);
  }
  ApplyResult result;
  if (!out.plan.empty()) result = backend.apply(out.plan.operations);
  out.outcomes.reserve(out.plan.operations.size());
  for (std::size_t i = 0; i < out.plan.operations.size(); ++i)
    out.outcomes.push_back({out.plan.operations[i], i < result.applied.size() && result.applied[i], {}, false});
  for (std::size_t i = 0; i < result.errors.size() && i < result.failed_indices.size(); ++i)
    if (result.failed_indices[i] < out.outcomes.size()) out.outcomes[result.failed_indices[i]].error = result.errors[i];
  for (auto& o : out.outcomes)
    if (!o.applied && !o.error) o.error = make_error(EPROTO, describe(o.operation) + ": no outcome reported");

  const bool copy_in_doubt = options.observed && std::any_of(out.outcomes.begin(), out.outcomes.end(),
                                                             [](const OperationOutcome& o) { return !o.applied; });
  if (!out.plan.empty() && (options.read_back || copy_in_doubt || needs_read_back(out.outcomes))) {
    auto again = backend.read_table();
    if (again) out.after = std::move(*again);
    else out.read_back_error = again.error();
  }
  if (out.after) {
    const auto later = index_services(*out.after);
    for (auto& o : out.outcomes) {
      if (o.applied || !o.error || !outcome_unknown(*o.error)) continue;
      o.read_back = true;
      if (shows(later, o.operation)) {
        o.applied = true;
        o.error.reset();
      }
    }
  }
  out.ownership_changed =
      record_ownership(owned, out.observed, out.plan, out.outcomes, out.after ? &*out.after : nullptr, options.only);
  if (out.ownership_changed && options.save) {
    auto saved = options.save(owned);
    if (!saved) out.save_error = saved.error();
  }
  return out;
}

}  // namespace lvs::ipvs
