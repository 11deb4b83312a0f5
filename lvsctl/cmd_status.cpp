// lvsctl status: lvsd's view of every service and real (health, last probe, weights,
// admin state, connection counts), the descriptor's load status and the IPVS sysctls.
// Filters are applied in lvsd, so a large cluster sends only what is asked for.
#include <cstdio>
#include <ctime>
#include <optional>
#include <type_traits>

#include "commands.h"
#include "control/status.h"
#include "control_client.h"
#include "ha_text.h"
#include "status_text.h"

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

}  // namespace

std::string summary_line(const lvs::control::StatusSummary& s) {
  return "summary: " + std::to_string(s.services) + " services, " + std::to_string(s.reals) + " reals: " +
         std::to_string(s.up) + " up, " + std::to_string(s.down) + " down, " + std::to_string(s.draining) +
         " draining or drained\n";
}

std::string status_text(const lvs::control::StatusReport& st) {
  std::string out = summary_line(st.summary);
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
  for (const auto& r : st.retiring)
    out += "retiring (gone from the descriptor, every real at weight 0): " +
           (r.real.empty() ? r.key : "real " + r.real + " of " + r.key) + ", " +
           std::to_string(r.connections) + " connection(s) left, since " + when(r.since) + ", deleted after " +
           std::to_string(r.deadline_s) + " s at the latest\n";
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
  if (!st.services.empty()) out += "\n(weights: configured / desired / in the kernel)\n";
  if (st.shown == "brief")
    out += "\n" + std::to_string(st.services.size()) + " of " + std::to_string(st.summary.services) +
           " services shown: those with a real down, draining or drained. All: lvsctl status --all; or filter with "
           "--service, --real, --down, --draining\n";
  else if (st.shown == "filtered")
    out += "\n" + std::to_string(st.services.size()) + " of " + std::to_string(st.summary.services) +
           " services match the filters\n";
  return out;
}

namespace {

struct StatusOptions {
  std::string socket, service, real;
  bool json = false, down = false, draining = false, all = false;
};

}  // namespace

void add_status_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("status", "Show lvsd's services, reals, health, weights, drains and descriptor status");
  auto o = std::make_shared<StatusOptions>();
  add_socket_option(*cmd, o->socket);
  cmd->add_flag("--json", o->json, "print the status document as JSON (every service unless filtered)");
  cmd->add_option("--service", o->service, "only this service (a name as expanded, or as written: every port of it)");
  cmd->add_option("--real", o->real, "only this real: ADDR, ADDR:PORT or [V6]:PORT");
  cmd->add_flag("--down", o->down, "only reals whose check is down (with --draining: either)");
  cmd->add_flag("--draining", o->draining, "only reals draining or drained (with --down: either)");
  cmd->add_flag("--all", o->all,
                "every service, even above " + std::to_string(kBriefOver) +
                    " services (text output otherwise shows only those with something down or draining)");
  cmd->footer("Exit status: 0 shown; 2 bad --real, lvsd unreachable, refused or a bad reply.");
  cmd->callback([o, &exit_code] {
    auto request = lvs::control::request_for(lvs::control::Command::status);
    request.service = o->service;
    request.real = o->real;
    request.down = o->down;
    request.draining = o->draining;
    if (!request.real.empty()) {
      if (auto sel = lvs::control::parse_real_selector(request.real); !sel) {
        std::fprintf(stderr, "lvsctl: %s\n", sel.error().message.c_str());
        exit_code = kExitError;
        return;
      }
    }
    if (!o->json && !o->all) request.brief_over = kBriefOver;
    auto reply = call_daemon(o->socket, request);
    if (!reply) {
      exit_code = kExitError;
      return;
    }
    const json& doc = (*reply)["status"];
    std::string out;
    if (o->json) {
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
