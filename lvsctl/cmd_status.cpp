// lvsctl status: lvsd's view of every service and real (health, last probe, weights,
// admin state, connection counts), the descriptor's load status and the IPVS sysctls.
#include <cstdio>
#include <ctime>

#include "commands.h"
#include "control_client.h"

namespace lvsctl {

namespace {

using nlohmann::json;

std::string str(const json& j, const char* key, const std::string& fallback = "-") {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  if (j[key].is_string()) return j[key].get<std::string>();
  return j[key].dump();
}

std::string when(std::int64_t t) {
  if (t <= 0) return "never";
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

std::string status_text(const json& st) {
  std::string out;
  char line[1024];
  const json& d = st["descriptor"];
  out += "descriptor: " + str(d, "path") + " (cluster " + str(d, "cluster") + "), loaded " +
         when(d.value("loaded_at", std::int64_t{0})) + "\n";
  if (str(d, "status") != "ok") {
    out += "  last load FAILED at " + when(d.value("last_attempt_at", std::int64_t{0})) +
           "; still running the descriptor loaded before:\n";
  }
  for (const auto& e : d.value("errors", json::array())) out += "  error: " + e.get<std::string>() + "\n";
  for (const auto& w : d.value("warnings", json::array())) out += "  warning: " + w.get<std::string>() + "\n";
  out += "sysctls:";
  for (const auto& s : st.value("sysctls", json::array())) {
    out += " " + str(s, "name") + "=" + str(s, "current");
    if (str(s, "current") != str(s, "wanted")) out += " (wanted " + str(s, "wanted") + ")";
    if (s.contains("error")) out += " [" + str(s, "error") + "]";
  }
  out += "\n";
  const json& rc = st["reconcile"];
  out += "last reconcile: " + when(rc.value("at", std::int64_t{0})) + ", " + str(rc, "operations") + " operations, " +
         str(rc, "failed") + " failed\n";
  for (const auto& e : rc.value("errors", json::array())) out += "  error: " + e.get<std::string>() + "\n";
  for (const auto& svc : st.value("services", json::array())) {
    out += "\n" + str(svc, "name") + "  " + str(svc, "key") + "  " + str(svc, "scheduler") + ", quorum " +
           str(svc, "quorum") + ", " + str(svc, "healthy") + " healthy" +
           (svc.value("sorry_active", false) ? ", SORRY SERVER IN USE" : "") +
           (svc.value("in_kernel", true) ? "" : ", NOT IN KERNEL") + "\n";
    std::snprintf(line, sizeof line, "  %-24s %-6s %-9s %-8s %-12s %6s %5s %5s  %s\n", "REAL", "ROLE", "HEALTH",
                  "ADMIN", "WEIGHT c/d/k", "ACTIVE", "INACT", "PERS", "LAST CHECK");
    out += line;
    for (const auto& r : svc.value("reals", json::array())) {
      std::string weights = str(r, "configured_weight") + "/" + str(r, "desired_weight") + "/" + str(r, "current_weight");
      std::string last = "-";
      if (r.contains("last_result") && r["last_result"].is_object()) {
        const json& lr = r["last_result"];
        char lat[64];
        std::snprintf(lat, sizeof lat, "%.1f ms, %.0f s ago", lr.value("latency_ms", 0.0), lr.value("age_s", 0.0));
        last = std::string(lr.value("ok", false) ? "ok" : "FAIL") + " (" + lat + "): " + str(lr, "message");
      }
      std::snprintf(line, sizeof line, "  %-24s %-6s %-9s %-8s %-12s %6s %5s %5s  %s\n", str(r, "real").c_str(),
                    str(r, "role").c_str(), str(r, "health").c_str(), str(r, "admin").c_str(), weights.c_str(),
                    str(r, "active_conns").c_str(), str(r, "inactive_conns").c_str(),
                    str(r, "persistent_conns").c_str(), last.c_str());
      out += line;
      if (r.contains("drain") && r["drain"].contains("note"))
        out += "      drain: " + r["drain"]["note"].get<std::string>() + "\n";
    }
  }
  out += "\n(weights: configured / desired / in the kernel)\n";
  return out;
}

}  // namespace

void add_status_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("status", "Show lvsd's services, reals, health, weights, drains and descriptor status");
  auto socket = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  add_socket_option(*cmd, *socket);
  cmd->add_flag("--json", *as_json, "print the status document as JSON");
  cmd->callback([socket, as_json, &exit_code] {
    auto reply = call_daemon(*socket, lvs::control::request_for(lvs::control::Command::status));
    if (!reply) {
      exit_code = kExitError;
      return;
    }
    const json& st = (*reply)["status"];
    std::string out = *as_json ? st.dump(2) + "\n" : status_text(st);
    std::fwrite(out.data(), 1, out.size(), stdout);
    exit_code = kExitOk;
  });
}

}  // namespace lvsctl
