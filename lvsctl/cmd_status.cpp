// lvsctl status: lvsd's view of every service and real (health, last probe, weights,
// admin state, connection counts), the descriptor's load status and the IPVS sysctls.
#include <cstdio>
#include <ctime>
#include <optional>
#include <type_traits>

#include "commands.h"
#include "control/status.h"
#include "control_client.h"
#include "ha_text.h"

namespace lvsctl {

namespace {

using nlohmann::json;

template <typename T>
std::string str(const std::optional<T>& v) {
  if (!v) return "-";
  if constexpr (std::is_same_v<T, std::string>) return *v;
  else return std::to_string(*v);
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

std::string status_text(const lvs::control::StatusReport& st) {
  std::string out;
  char line[1024];
  const auto& d = st.descriptor;
  out += "descriptor: " + d.path + " (cluster " + d.cluster + "), loaded " + when(d.loaded_at) + "\n";
  if (!d.ok) out += "  last load FAILED at " + when(d.last_attempt_at) + "; still running the descriptor loaded before:\n";
  for (const auto& e : d.errors) out += "  error: " + e + "\n";
  for (const auto& w : d.warnings) out += "  warning: " + w + "\n";
  out += "sysctls:";
  for (const auto& s : st.sysctls) {
    out += " " + s.name + "=" + str(s.current);
    if (s.current != s.wanted) out += " (wanted " + std::to_string(s.wanted) + ")";
    if (!s.error.empty()) out += " [" + s.error + "]";
  }
  out += "\n";
  const auto& rc = st.reconcile;
  out += "last reconcile: " + when(rc.at) + ", " + std::to_string(rc.operations) + " operations, " +
         std::to_string(rc.failed) + " failed\n";
  for (const auto& e : rc.errors) out += "  error: " + e + "\n";
  if (st.ha) out += ha_text(*st.ha);
  for (const auto& svc : st.services) {
    out += "\n" + svc.name + "  " + svc.key + "  " + svc.scheduler + ", quorum " + std::to_string(svc.quorum) + ", " +
           std::to_string(svc.healthy) + " healthy" + (svc.sorry_active ? ", SORRY SERVER IN USE" : "") +
           (svc.in_kernel ? "" : ", NOT IN KERNEL") + "\n";
    std::snprintf(line, sizeof line, "  %-24s %-6s %-9s %-8s %-12s %6s %5s %5s  %s\n", "REAL", "ROLE", "HEALTH",
                  "ADMIN", "WEIGHT c/d/k", "ACTIVE", "INACT", "PERS", "LAST CHECK");
    out += line;
    for (const auto& r : svc.reals) {
      const std::string weights =
          std::to_string(r.configured_weight) + "/" + str(r.desired_weight) + "/" + str(r.current_weight);
      std::string last = "-";
      if (r.last_result) {
        const auto& lr = *r.last_result;
        char lat[64];
        std::snprintf(lat, sizeof lat, "%.1f ms, %.0f s ago", lr.latency_ms, lr.age_s);
        last = std::string(lr.ok ? "ok" : "FAIL") + " (" + lat + "): " + lr.message;
      }
      std::snprintf(line, sizeof line, "  %-24s %-6s %-9s %-8s %-12s %6u %5u %5u  %s\n", r.real.c_str(),
                    r.role.c_str(), r.health.c_str(), r.admin.c_str(), weights.c_str(), r.active_conns,
                    r.inactive_conns, r.persistent_conns, last.c_str());
      out += line;
      if (r.drain && !r.drain->note.empty()) out += "      drain: " + r.drain->note + "\n";
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
    const json& doc = (*reply)["status"];
    std::string out;
    if (*as_json) {
      out = doc.dump(2) + "\n";  // as lvsd sent it
    } else {
      auto st = lvs::control::status_from_json(doc);
      if (!st) {
        std::fprintf(stderr, "lvsctl: %s\n", st.error().describe().c_str());
        exit_code = kExitError;
        return;
      }
      out = status_text(*st);
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    exit_code = kExitOk;
  });
}

}  // namespace lvsctl
