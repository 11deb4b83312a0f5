// The daemon's side of the control commands: drain, enable, check, reload, status.
#include <algorithm>
#include <set>
#include <string_view>

#include "control/events.h"
#include "control/replies.h"
#include "daemon/daemon.h"
#include "daemon/table_lookup.h"
#include "desired/desired_state.h"

namespace lvsd {

namespace control = lvs::control;
namespace health = lvs::health;
namespace ipvs = lvs::ipvs;

lvs::Result<std::vector<const Daemon::Slot*>> Daemon::select(const Request& request) const {
  auto sel = parse_real_selector(request.real);
  if (!sel) return sel.error();
  auto address = lvs::net::IpAddress::parse(sel->address_text);
  if (!address || !cluster_) return lvs::Error{EINVAL, "bad real " + request.real};
  const std::string_view svc = request.service;
  bool service_seen = svc.empty();
  std::vector<const Slot*> out;
  auto take = [&](std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) {
      const Slot& s = slots_[i];
      if (s.real.address != *address) continue;
      if (sel->port != 0 && s.real.port != sel->port) continue;
      out.push_back(&s);
    }
  };
  if (svc.empty()) {
    take(0, slots_.size());
  } else {
    // "research" names itself and research/25, research/110, ...: in sorted order the
    // names under "research/" follow each other, so no slot is walked in vain.
    auto pick = [&](auto it, auto in_range) {
      for (; it != services_by_name_.end() && in_range(std::string_view(it->first)); ++it) {
        service_seen = true;
        take(first_slot_[it->second], first_slot_[it->second + 1]);
      }
    };
    pick(services_by_name_.lower_bound(svc), [svc](std::string_view name) { return name == svc; });
    const std::string under = std::string(svc) + "/";
    pick(services_by_name_.lower_bound(under),
         [&under](std::string_view name) { return name.substr(0, under.size()) == under; });
    // Slot order (the descriptor's), as a walk of every slot would give.
    std::sort(out.begin(), out.end());
  }
  if (!service_seen) return lvs::Error{ENOENT, "no service named \"" + request.service + "\""};
  if (out.empty())
    return lvs::Error{ENOENT,
                      "no real " + request.real + (svc.empty() ? std::string() : " in service " + request.service)};
  return out;
}

std::string Daemon::admin_word(const std::string& service, const ipvs::DestKey& real) const {
  return drains_.word(service, real);
}

nlohmann::json Daemon::admin_command(const Request& request) {
  auto slots = select(request);
  if (!slots) return control::ErrorReply{slots.error().message, {}};
  const bool drain = request.command == Command::drain;
  std::vector<DrainTarget> targets;
  for (const Slot* s : *slots) targets.push_back({cluster_->virtual_services[s->service].name, s->real});
  // What is on disk is what a restart runs: a change that cannot be saved is not made.
  auto changed = drains_.set(targets, drain, deps_.wall_clock(), request.deadline_s);
  if (!changed) {
    deps_.log.error(std::string("admin: ") + (drain ? "drain" : "enable") + " refused: " + changed.error().describe());
    return control::ErrorReply{changed.error().describe(), {}};
  }
  if (*changed != 0) {
    ++changes_;
    for (const auto& t : targets)
      publish(control::AdminEvent{deps_.wall_clock(), t.service, endpoint(t.real), admin_word(t.service, t.real)});
    for (const Slot* s : *slots) mark_dirty(s->service);
    reconcile_now();  // the weight changes now, not at the next tick
  }
  control::AdminReply reply;
  for (const auto& t : targets) reply.reals.push_back({t.service, endpoint(t.real), admin_word(t.service, t.real)});
  return reply;
}

void Daemon::run_check(const Request& request, Reply reply) {
  auto slots = select(request);
  if (!slots) {
    reply(control::ErrorReply{slots.error().message, {}});
    return;
  }
  const std::uint64_t pid = next_pending_++;
  PendingCheck& pending = pending_[pid];
  pending.reply = std::move(reply);
  // Identical checks run once; each result is reported for every (service, real) it covers.
  std::vector<health::CheckKey> distinct;
  for (const Slot* s : *slots) {
    if (!s->check) {
      control::CheckResult none;
      none.service = cluster_->virtual_services[s->service].name;
      none.real = endpoint(s->real);
      none.message = "no check configured";
      pending.results.checks.push_back(std::move(none));
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
    health_.probe_once(shown, [this, pid, covers, probe_name](const health::ProbeResult& r) {
                  auto it = pending_.find(pid);
                  if (it == pending_.end()) return;
      for (const auto& [service, real] : covers)
        it->second.results.checks.push_back({service, real, probe_name, r.ok, r.message, r.latency.count() / 1000.0,
                                             health::format_transcript(r.transcript)});
      if (--it->second.outstanding == 0) {
        Reply done = std::move(it->second.reply);
        control::CheckReply results = std::move(it->second.results);
        pending_.erase(it);
        done(results);
      }
                });
  }
  if (pending.outstanding == 0) {
    Reply done = std::move(pending.reply);
    control::CheckReply results = std::move(pending.results);
    pending_.erase(pid);
    done(results);
  }
}

void to_json(nlohmann::json& j, const ReloadOutcome& o) {
  if (o.ok) j = control::ReloadReply{o.operations, o.failed, o.errors, o.warnings};
  else j = control::ErrorReply{o.error, o.errors};
}

void Daemon::handle(const Request& request, Reply reply) {
  switch (request.command) {
    case Command::status: reply(status_command(request)); return;
    case Command::reload: reply(reload()); return;
    case Command::drain:
    case Command::enable: reply(admin_command(request)); return;
    case Command::check: run_check(request, std::move(reply)); return;
    case Command::ha_status:
    case Command::ha_failover:
    case Command::ha_resume: reply(ha_command(request)); return;
    case Command::events:  // the control server keeps subscribers itself
      reply(control::ErrorReply{"events are served by the control socket", {}});
      return;
  }
}

nlohmann::json Daemon::status_command(const Request& request) {
  const StatusSelection sel = select_status(request);
  if (!request.service.empty() && !sel.service_seen)
    return control::ErrorReply{"no service named \"" + request.service + "\"", {}};
  const auto read_at = table_.read_at();
  if (!read_at || deps_.clock.now() - *read_at >= options_.counts_fresh_for) {
    // Fresh counts for what is shown: a few services are read alone, not the whole table.
    if (sel.shown == "all" || sel.services.size() > 64) {
      refresh_table();
    } else if (!sel.services.empty()) {
      std::set<ipvs::ServiceKey> keys;
      for (auto i : sel.services) keys.insert(lvs::desired::service_key(cluster_->virtual_services[i]));
      table_.read_services(keys);
      after_table_read(false);  // a few services: the periodic whole read stays due
    }
  }
  return nlohmann::json{{"ok", true}, {"status", status(request)}};
}

nlohmann::json Daemon::ha_command(const Request& request) {
  if (!ha_) return control::ErrorReply{"this lvsd runs no HA (the descriptor has no ha section)", {}};
  const auto now = deps_.clock.now();
  if (request.command == Command::ha_failover) {
    deps_.log.notice(std::string("ha: operator hand-over requested") + (request.force ? " (forced)" : ""));
    if (auto s = ha_->hand_over(now, request.force); !s) {
      deps_.log.warning("ha: " + s.error().message);
      return control::ErrorReply{s.error().message, {}};
    }
  } else if (request.command == Command::ha_resume) {
    deps_.log.notice("ha: operator resume: this node may take the VIPs back by priority again");
    ha_->resume();
  }
  ++changes_;
  return nlohmann::json{{"ok", true}, {"ha", ha_report(*ha_, now)}};
}

}  // namespace lvsd
