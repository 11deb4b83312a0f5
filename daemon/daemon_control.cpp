// The daemon's side of the control commands: drain, enable, check, reload, status.
#include <set>

#include "daemon/daemon.h"
#include "daemon/table_lookup.h"

namespace lvsd {

namespace health = lvs::health;
namespace ipvs = lvs::ipvs;

lvs::Result<std::vector<const Daemon::Slot*>> Daemon::select(const Request& request) const {
  auto sel = parse_real_selector(request.real);
  if (!sel) return sel.error();
  auto address = lvs::net::IpAddress::parse(sel->address_text);
  if (!address || !cluster_) return lvs::Error{EINVAL, "bad real " + request.real};
  const std::string& svc = request.service;
  bool service_seen = svc.empty();
  std::vector<const Slot*> out;
  for (const auto& s : slots_) {
    const std::string& name = cluster_->virtual_services[s.service].name;
    if (!svc.empty()) {
      if (name != svc && name.rfind(svc + "/", 0) != 0) continue;
      service_seen = true;
    }
    if (s.real.address != *address) continue;
    if (sel->port != 0 && s.real.port != sel->port) continue;
    out.push_back(&s);
  }
  if (!service_seen) return lvs::Error{ENOENT, "no service named \"" + svc + "\""};
  if (out.empty())
    return lvs::Error{ENOENT, "no real " + request.real + (svc.empty() ? std::string() : " in service " + svc)};
  return out;
}

std::string Daemon::admin_word(const std::string& service, const ipvs::DestKey& real) const {
  const DrainEntry* d = admin_.find(service, real);
  if (!d) return "enabled";
  return d->drained_at ? "drained" : "draining";
}

nlohmann::json Daemon::admin_command(const Request& request) {
  auto slots = select(request);
  if (!slots) return nlohmann::json{{"ok", false}, {"error", slots.error().message}};
  const std::int64_t now = deps_.wall_clock();
  const bool drain = request.command == Command::drain;
  AdminState before = admin_;
  std::vector<std::string> done;
  for (const Slot* s : *slots) {
    const std::string& name = cluster_->virtual_services[s->service].name;
    if (drain ? admin_.drain(name, s->real, now, request.deadline_s) : admin_.enable(name, s->real))
      done.push_back(endpoint(s->real) + " (" + name + ")");
  }
  if (!done.empty()) {
    // What is on disk is what a restart runs: a change that cannot be saved is not made.
    auto saved = save_admin_state(admin_file_, admin_);
    if (!saved) {
      admin_ = std::move(before);
      const std::string why = "admin state not saved, nothing changed: " + saved.error().describe();
      deps_.log.error(std::string("admin: ") + (drain ? "drain" : "enable") + " refused: " + why);
      return nlohmann::json{{"ok", false}, {"error", why}};
    }
    ++changes_;
    for (const auto& what : done) deps_.log.notice(std::string("admin: ") + (drain ? "drain " : "enable ") + what);
    dirty_ = true;
    reconcile_now();  // the weight changes now, not at the next tick
  }
  nlohmann::json reals = nlohmann::json::array();
  for (const Slot* s : *slots) {
    const std::string& name = cluster_->virtual_services[s->service].name;
    reals.push_back({{"service", name}, {"real", endpoint(s->real)}, {"admin", admin_word(name, s->real)}});
  }
  return nlohmann::json{{"ok", true}, {"reals", std::move(reals)}};
}

void Daemon::run_check(const Request& request, Reply reply) {
  auto slots = select(request);
  if (!slots) {
    reply(nlohmann::json{{"ok", false}, {"error", slots.error().message}});
    return;
  }
  const std::uint64_t pid = next_pending_++;
  PendingCheck& pending = pending_[pid];
  pending.reply = std::move(reply);
  // Identical checks run once; each result is reported for every (service, real) it covers.
  std::vector<health::CheckKey> distinct;
  for (const Slot* s : *slots) {
    if (!s->check) {
      pending.results.push_back({{"service", cluster_->virtual_services[s->service].name},
                                 {"real", endpoint(s->real)},
                                 {"probe", nullptr},
                                 {"ok", nullptr},
                                 {"message", "no check configured"}});
      continue;
    }
    if (std::find(distinct.begin(), distinct.end(), *s->check) == distinct.end()) distinct.push_back(*s->check);
  }
  pending.outstanding = distinct.size();
  for (const auto& key : distinct) {
    std::vector<std::pair<std::string, std::string>> covers;
    for (const Slot* s : *slots)
      if (s->check == key) covers.emplace_back(cluster_->virtual_services[s->service].name, endpoint(s->real));
    const std::string probe_name = health::describe(key.probe);
    deps_.log.info("check: running " + probe_name + " on request");
    health::ProbeConfig shown = key.probe;
    shown.record_transcript = true;  // the operator asked to see the dialogue
    runner_.add(deps_.probe_factory(shown, deps_.clock.now()),
                [this, pid, covers, probe_name](health::ProbeId, const health::ProbeResult& r) {
                  auto it = pending_.find(pid);
                  if (it == pending_.end()) return;
                  for (const auto& [service, real] : covers)
                    it->second.results.push_back({{"service", service},
                                                  {"real", real},
                                                  {"probe", probe_name},
                                                  {"ok", r.ok},
                                                  {"message", r.message},
                                                  {"latency_ms", r.latency.count() / 1000.0},
                                                  {"transcript", health::format_transcript(r.transcript)}});
                  if (--it->second.outstanding == 0) {
                    Reply done = std::move(it->second.reply);
                    nlohmann::json results = std::move(it->second.results);
                    pending_.erase(it);
                    done(nlohmann::json{{"ok", true}, {"checks", std::move(results)}});
                  }
                });
  }
  if (pending.outstanding == 0) {
    Reply done = std::move(pending.reply);
    nlohmann::json results = std::move(pending.results);
    pending_.erase(pid);
    done(nlohmann::json{{"ok", true}, {"checks", std::move(results)}});
  }
}

void Daemon::handle(const Request& request, Reply reply) {
  switch (request.command) {
    case Command::status:
      if (!counts_read_at_ || deps_.clock.now() - *counts_read_at_ >= options_.counts_fresh_for) refresh_table();
      reply(nlohmann::json{{"ok", true}, {"status", status()}});
      return;
    case Command::reload: reply(reload()); return;
    case Command::drain:
    case Command::enable: reply(admin_command(request)); return;
    case Command::check: run_check(request, std::move(reply)); return;
  }
}

}  // namespace lvsd
