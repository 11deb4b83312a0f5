#include "plan_text.h"

#include <map>

namespace lvsctl {

using namespace lvs::ipvs;

namespace {

template <class T>
void change(std::string& out, const char* what, const T& from, const T& to) {
  if (from == to) return;
  if (!out.empty()) out += ", ";
  out += what;
  out += ' ';
  if constexpr (std::is_same_v<T, std::string>) {
    out += from.empty() ? "(none)" : from;
    out += " -> ";
    out += to.empty() ? "(none)" : to;
  } else {
    out += std::to_string(from) + " -> " + std::to_string(to);
  }
}

std::string service_changes(const Service& from_raw, const Service& to_raw) {
  const Service from = normalized(from_raw), to = normalized(to_raw);
  std::string out;
  change(out, "scheduler", from.scheduler, to.scheduler);
  change(out, "flags", from.flags, to.flags);
  change(out, "persistence", from.timeout_s, to.timeout_s);
  change(out, "netmask", from.netmask, to.netmask);
  change(out, "engine", from.pe_name, to.pe_name);
  return out;
}

std::string dest_changes(const Destination& from_raw, const Destination& to_raw) {
  const Destination from = normalized(from_raw), to = normalized(to_raw);
  std::string out;
  change(out, "forward", std::string(to_string(from.forward)), std::string(to_string(to.forward)));
  change(out, "weight", from.weight, to.weight);
  change(out, "upper threshold", from.upper_threshold, to.upper_threshold);
  change(out, "lower threshold", from.lower_threshold, to.lower_threshold);
  change(out, "tunnel type", std::string(to_string(from.tunnel_type)), std::string(to_string(to.tunnel_type)));
  change(out, "tunnel port", from.tunnel_port, to.tunnel_port);
  change(out, "tunnel flags", from.tunnel_flags, to.tunnel_flags);
  return out;
}

const ServiceState* find_service(const Table& t, const ServiceKey& k) {
  const ServiceKey want = normalized(k);
  for (const auto& s : t.services)
    if (normalized(s.service.key) == want) return &s;
  return nullptr;
}

}  // namespace

std::string edit_details(const Operation& op, const Table& observed) {
  if (const auto* es = std::get_if<EditService>(&op)) {
    if (const auto* cur = find_service(observed, es->service.key)) return service_changes(cur->service, es->service);
  } else if (const auto* ed = std::get_if<EditDest>(&op)) {
    if (const auto* cur = find_service(observed, ed->service)) {
      for (const auto& d : cur->destinations)
        if (key_of(d.dest) == key_of(ed->dest)) return dest_changes(d.dest, ed->dest);
    }
  }
  return {};
}

std::string plan_lines(const Plan& plan, const Table& observed) {
  // Edits are few; index the observed services only when there are some, so a plan of
  // 50,000 additions costs no lookups.
  std::map<ServiceKey, const ServiceState*> index;
  for (const auto& op : plan.operations) {
    if (std::holds_alternative<EditService>(op) || std::holds_alternative<EditDest>(op)) {
      for (const auto& s : observed.services) index.emplace(normalized(s.service.key), &s);
      break;
    }
  }
  std::string out;
  out.reserve(plan.operations.size() * 80);
  for (const auto& op : plan.operations) {
    out += describe(op);
    std::string details;
    if (const auto* es = std::get_if<EditService>(&op)) {
      if (auto it = index.find(normalized(es->service.key)); it != index.end())
        details = service_changes(it->second->service, es->service);
    } else if (const auto* ed = std::get_if<EditDest>(&op)) {
      if (auto it = index.find(normalized(ed->service)); it != index.end()) {
        for (const auto& d : it->second->destinations)
          if (key_of(d.dest) == key_of(ed->dest)) details = dest_changes(d.dest, ed->dest);
      }
    }
    if (!details.empty()) out += ": " + details;
    out += '\n';
  }
  return out;
}

}  // namespace lvsctl
