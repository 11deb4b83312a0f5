#include "control/status.h"

#include <cerrno>

namespace lvs::control {

using nlohmann::json;

namespace {

template <typename T>
json maybe(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

json real_json(const RealStatus& r) {
  json j{{"real", r.real},
         {"role", r.role},
         {"check", maybe(r.check)},
         {"health", r.health},
         {"configured_weight", r.configured_weight},
         {"desired_weight", maybe(r.desired_weight)},
         {"current_weight", maybe(r.current_weight)},
         {"admin", r.admin},
         {"active_conns", r.active_conns},
         {"inactive_conns", r.inactive_conns},
         {"persistent_conns", r.persistent_conns}};
  j["last_result"] = r.last_result ? json{{"ok", r.last_result->ok},
                                          {"message", r.last_result->message},
                                          {"latency_ms", r.last_result->latency_ms},
                                          {"age_s", r.last_result->age_s}}
                                   : json(nullptr);
  if (r.drain) {
    j["drain"] = {{"since", r.drain->since}, {"deadline_s", r.drain->deadline_s}};
    if (r.drain->drained_at) j["drain"]["drained_at"] = *r.drain->drained_at;
    if (!r.drain->note.empty()) j["drain"]["note"] = r.drain->note;
  }
  return j;
}

// Reads j[key] into out (absent or null: left as is). Throws json::exception on a type
// mismatch; status_from_json turns that into an error.
template <typename T>
void get(const json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) out = it->get<T>();
}

template <typename T>
void get(const json& j, const char* key, std::optional<T>& out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) out = it->get<T>();
}

RealStatus real_from(const json& j) {
  RealStatus r;
  get(j, "real", r.real);
  get(j, "role", r.role);
  get(j, "check", r.check);
  get(j, "health", r.health);
  get(j, "configured_weight", r.configured_weight);
  get(j, "desired_weight", r.desired_weight);
  get(j, "current_weight", r.current_weight);
  get(j, "admin", r.admin);
  get(j, "active_conns", r.active_conns);
  get(j, "inactive_conns", r.inactive_conns);
  get(j, "persistent_conns", r.persistent_conns);
  if (auto lr = j.find("last_result"); lr != j.end() && lr->is_object()) {
    LastResult l;
    get(*lr, "ok", l.ok);
    get(*lr, "message", l.message);
    get(*lr, "latency_ms", l.latency_ms);
    get(*lr, "age_s", l.age_s);
    r.last_result = l;
  }
  if (auto d = j.find("drain"); d != j.end() && d->is_object()) {
    DrainInfo di;
    get(*d, "since", di.since);
    get(*d, "deadline_s", di.deadline_s);
    get(*d, "drained_at", di.drained_at);
    get(*d, "note", di.note);
    r.drain = di;
  }
  return r;
}

}  // namespace

void to_json(json& j, const StatusReport& s) {
  j = json::object();
  j["daemon"] = {{"pid", s.daemon.pid}, {"node", s.daemon.node}, {"netns", s.daemon.netns},
                 {"state_dir", s.daemon.state_dir}};
  j["summary"] = {{"services", s.summary.services}, {"reals", s.summary.reals}, {"up", s.summary.up},
                  {"down", s.summary.down}, {"draining", s.summary.draining}};
  j["shown"] = s.shown;
  const auto& d = s.descriptor;
  j["descriptor"] = {{"path", d.path},         {"status", d.ok ? "ok" : "error"},
                     {"cluster", d.cluster},   {"loaded_at", d.loaded_at},
                     {"last_attempt_at", d.last_attempt_at}, {"errors", d.errors},
                     {"warnings", d.warnings}};
  json sysctls = json::array();
  for (const auto& x : s.sysctls) {
    json one{{"name", x.name}, {"wanted", x.wanted}, {"current", maybe(x.current)}};
    if (!x.error.empty()) one["error"] = x.error;
    sysctls.push_back(std::move(one));
  }
  j["sysctls"] = std::move(sysctls);
  j["reconcile"] = {{"at", s.reconcile.at}, {"operations", s.reconcile.operations}, {"failed", s.reconcile.failed},
                    {"errors", s.reconcile.errors}};
  json services = json::array();
  for (const auto& v : s.services) {
    json reals = json::array();
    for (const auto& r : v.reals) reals.push_back(real_json(r));
    services.push_back({{"name", v.name},
                        {"key", v.key},
                        {"scheduler", v.scheduler},
                        {"on_failure", v.on_failure},
                        {"quorum", v.quorum},
                        {"healthy", v.healthy},
                        {"sorry_active", v.sorry_active},
                        {"in_kernel", v.in_kernel},
                        {"reals", std::move(reals)}});
  }
  j["services"] = std::move(services);
  json retiring = json::array();
  for (const auto& r : s.retiring)
    retiring.push_back(
        {{"key", r.key}, {"real", r.real}, {"since", r.since}, {"deadline_s", r.deadline_s}, {"connections", r.connections}});
  j["retiring"] = std::move(retiring);
  if (s.ha) j["ha"] = *s.ha;
}

Result<StatusReport> status_from_json(const json& j) {
  if (!j.is_object()) return Error{EPROTO, "lvsd sent a malformed status: not an object"};
  StatusReport s;
  const char* at = "daemon";
  try {
    if (auto d = j.find("daemon"); d != j.end()) {
      get(*d, "pid", s.daemon.pid);
      get(*d, "node", s.daemon.node);
      get(*d, "netns", s.daemon.netns);
      get(*d, "state_dir", s.daemon.state_dir);
    }
    at = "summary";
    if (auto m = j.find("summary"); m != j.end()) {
      get(*m, "services", s.summary.services);
      get(*m, "reals", s.summary.reals);
      get(*m, "up", s.summary.up);
      get(*m, "down", s.summary.down);
      get(*m, "draining", s.summary.draining);
    }
    get(j, "shown", s.shown);
    at = "descriptor";
    if (auto d = j.find("descriptor"); d != j.end()) {
      auto& o = s.descriptor;
      get(*d, "path", o.path);
      std::string status;
      get(*d, "status", status);
      o.ok = status == "ok";
      get(*d, "cluster", o.cluster);
      get(*d, "loaded_at", o.loaded_at);
      get(*d, "last_attempt_at", o.last_attempt_at);
      get(*d, "errors", o.errors);
      get(*d, "warnings", o.warnings);
    }
    at = "sysctls";
    for (const auto& x : j.value("sysctls", json::array())) {
      SysctlInfo one;
      get(x, "name", one.name);
      get(x, "wanted", one.wanted);
      get(x, "current", one.current);
      get(x, "error", one.error);
      s.sysctls.push_back(std::move(one));
    }
    at = "reconcile";
    if (auto r = j.find("reconcile"); r != j.end()) {
      get(*r, "at", s.reconcile.at);
      get(*r, "operations", s.reconcile.operations);
      get(*r, "failed", s.reconcile.failed);
      get(*r, "errors", s.reconcile.errors);
    }
    at = "services";
    for (const auto& v : j.value("services", json::array())) {
      ServiceStatus one;
      get(v, "name", one.name);
      get(v, "key", one.key);
      get(v, "scheduler", one.scheduler);
      get(v, "on_failure", one.on_failure);
      get(v, "quorum", one.quorum);
      get(v, "healthy", one.healthy);
      get(v, "sorry_active", one.sorry_active);
      get(v, "in_kernel", one.in_kernel);
      for (const auto& r : v.value("reals", json::array())) one.reals.push_back(real_from(r));
      s.services.push_back(std::move(one));
    }
    at = "retiring";
    for (const auto& r : j.value("retiring", json::array())) {
      RetiringInfo one;
      get(r, "key", one.key);
      get(r, "real", one.real);
      get(r, "since", one.since);
      get(r, "deadline_s", one.deadline_s);
      get(r, "connections", one.connections);
      s.retiring.push_back(std::move(one));
    }
  } catch (const json::exception& e) {
    return Error{EPROTO, std::string("lvsd sent a malformed status: \"") + at + "\": " + e.what()};
  }
  if (auto h = j.find("ha"); h != j.end()) {
    auto ha = ha_from_json(*h);
    if (!ha) return ha.error();
    s.ha = std::move(*ha);
  }
  return s;
}

}  // namespace lvs::control
