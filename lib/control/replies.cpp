#include "control/replies.h"

#include <cerrno>

namespace lvs::control {

using nlohmann::json;

void to_json(json& j, const ErrorReply& r) {
  j = json{{"ok", false}, {"error", r.error}};
  if (!r.errors.empty()) j["errors"] = r.errors;
}

void to_json(json& j, const AdminReply& r) {
  json reals = json::array();
  for (const auto& a : r.reals) reals.push_back({{"service", a.service}, {"real", a.real}, {"admin", a.admin}});
  j = json{{"ok", true}, {"reals", std::move(reals)}};
}

void to_json(json& j, const CheckReply& r) {
  json checks = json::array();
  for (const auto& c : r.checks) {
    json one{{"service", c.service}, {"real", c.real}, {"probe", c.probe ? json(*c.probe) : json(nullptr)},
             {"ok", c.ok ? json(*c.ok) : json(nullptr)}, {"message", c.message}};
    if (c.probe) {
      one["latency_ms"] = c.latency_ms;
      one["transcript"] = c.transcript;
    }
    checks.push_back(std::move(one));
  }
  j = json{{"ok", true}, {"checks", std::move(checks)}};
}

void to_json(json& j, const ReloadReply& r) {
  j = json{{"ok", true}, {"operations", r.operations}, {"failed", r.failed}, {"errors", r.errors},
           {"warnings", r.warnings}};
}

namespace {

Error malformed(const std::string& what) { return Error{EPROTO, "lvsd sent a malformed reply: " + what}; }

// Reads `key` of `j` into `out` when present; false when present with the wrong type.
template <typename T>
bool read(const json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return true;
  try {
    out = it->get<T>();
    return true;
  } catch (const json::exception&) {
    return false;
  }
}

}  // namespace

std::optional<ErrorReply> refusal(const json& j) {
  if (!j.is_object() || j.value("ok", false) == true) return std::nullopt;
  ErrorReply e;
  e.error = "lvsd refused the request";
  read(j, "error", e.error);
  read(j, "errors", e.errors);
  return e;
}

Result<Decoded<AdminReply>> decode_admin(const json& j) {
  if (auto e = refusal(j)) return Decoded<AdminReply>{std::nullopt, e};
  auto it = j.find("reals");
  if (it == j.end() || !it->is_array()) return malformed("no \"reals\" list");
  AdminReply r;
  for (const auto& x : *it) {
    AdminReal a;
    if (!x.is_object() || !read(x, "service", a.service) || !read(x, "real", a.real) || !read(x, "admin", a.admin))
      return malformed("a real of \"reals\"");
    r.reals.push_back(std::move(a));
  }
  return Decoded<AdminReply>{std::move(r), std::nullopt};
}

Result<Decoded<CheckReply>> decode_check(const json& j) {
  if (auto e = refusal(j)) return Decoded<CheckReply>{std::nullopt, e};
  auto it = j.find("checks");
  if (it == j.end() || !it->is_array()) return malformed("no \"checks\" list");
  CheckReply r;
  for (const auto& x : *it) {
    CheckResult c;
    std::string probe;
    bool ok = false;
    if (!x.is_object() || !read(x, "service", c.service) || !read(x, "real", c.real) ||
        !read(x, "message", c.message) || !read(x, "latency_ms", c.latency_ms) ||
        !read(x, "transcript", c.transcript) || !read(x, "probe", probe) || !read(x, "ok", ok))
      return malformed("a result of \"checks\"");
    if (x.contains("probe") && !x["probe"].is_null()) c.probe = probe;
    if (x.contains("ok") && !x["ok"].is_null()) c.ok = ok;
    r.checks.push_back(std::move(c));
  }
  return Decoded<CheckReply>{std::move(r), std::nullopt};
}

Result<Decoded<ReloadReply>> decode_reload(const json& j) {
  if (auto e = refusal(j)) return Decoded<ReloadReply>{std::nullopt, e};
  ReloadReply r;
  if (!read(j, "operations", r.operations) || !read(j, "failed", r.failed) || !read(j, "errors", r.errors) ||
      !read(j, "warnings", r.warnings))
    return malformed("reload counts or messages");
  return Decoded<ReloadReply>{std::move(r), std::nullopt};
}

}  // namespace lvs::control
