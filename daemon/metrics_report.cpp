// The Prometheus exposition of lvsd (`--metrics`; names and meanings: daemon/README.md).
// Everything comes from memory: the table as last read or acknowledged, the trackers,
// the drains and the counters. At 10,000 services x 4 reals a scrape is one pass to
// gather a row per real, then one pass per family over those rows (the format wants
// each family's samples together), each row's label set escaped once.
#include <map>
#include <optional>

#include "daemon/daemon.h"
#include "daemon/table_lookup.h"
#include "desired/desired_state.h"
#include "metrics/exposition.h"

namespace lvsd {

namespace health = lvs::health;
namespace ipvs = lvs::ipvs;
namespace model = lvs::model;
using lvs::metrics::Type;

namespace {

struct RealRow {
  std::string labels;  // {service="...",real="..."}
  std::string_view health;
  std::string_view admin;
  std::uint32_t configured_weight = 0;
  const ipvs::DestinationState* kernel = nullptr;  // null: not in the table
};

struct ServiceRow {
  std::string labels;  // {service="..."}
  std::size_t healthy = 0;
  std::size_t quorum = 0;
  bool sorry_active = false;
  const ipvs::ServiceState* kernel = nullptr;
};

std::string_view admin_name(const DrainEntry* d) {
  if (!d) return "enabled";
  return d->drained_at ? "drained" : "draining";
}

template <typename Row, typename Value>
void per_row(lvs::metrics::TextWriter& w, const std::vector<Row>& rows, std::string_view name, Type type,
             std::string_view help, Value value) {
  w.family(name, type, help);
  for (const auto& r : rows)
    if (auto v = value(r)) w.sample(name, r.labels, static_cast<std::uint64_t>(*v));
}

}  // namespace

std::string Daemon::metrics_text() const {
  std::string out;
  lvs::metrics::TextWriter w(out);
  const auto now = deps_.clock.now();

  w.family("lvsd_descriptor_loads_total", Type::counter, "Descriptor loads (start and reloads) by result.");
  w.sample("lvsd_descriptor_loads_total", {{"result", "ok"}}, counters_.loads_ok);
  w.sample("lvsd_descriptor_loads_total", {{"result", "error"}}, counters_.loads_failed);
  w.family("lvsd_descriptor_ok", Type::gauge, "1 when the last descriptor load succeeded, 0 when it was refused.");
  w.sample("lvsd_descriptor_ok", "", std::uint64_t{descriptor_.ok ? 1u : 0u});
  w.family("lvsd_descriptor_loaded_timestamp_seconds", Type::gauge, "When the running descriptor was loaded (Unix time).");
  w.sample("lvsd_descriptor_loaded_timestamp_seconds", "", static_cast<double>(descriptor_.loaded_at));

  const ReconcileTotals& rt = table_.totals();
  w.family("lvsd_reconcile_runs_total", Type::counter, "Reconciles of the IPVS table run.");
  w.sample("lvsd_reconcile_runs_total", "", rt.runs);
  w.family("lvsd_reconcile_failed_runs_total", Type::counter,
           "Reconciles that could not plan or had an operation the kernel refused.");
  w.sample("lvsd_reconcile_failed_runs_total", "", rt.failed_runs);
  w.family("lvsd_reconcile_writes_total", Type::counter, "IPVS operations (writes) sent by reconciles.");
  w.sample("lvsd_reconcile_writes_total", "", rt.operations);
  w.family("lvsd_reconcile_failed_writes_total", Type::counter, "IPVS operations the kernel refused.");
  w.sample("lvsd_reconcile_failed_writes_total", "", rt.failed_operations);
  w.family("lvsd_reconcile_last_run_timestamp_seconds", Type::gauge, "When the last reconcile ran (Unix time).");
  w.sample("lvsd_reconcile_last_run_timestamp_seconds", "", static_cast<double>(table_.last_reconcile().at));
  if (auto at = table_.read_at()) {
    w.family("lvsd_ipvs_table_age_seconds", Type::gauge,
             "Seconds since the IPVS table and its counters were last read whole from the kernel.");
    w.sample("lvsd_ipvs_table_age_seconds", "", std::chrono::duration<double>(now - *at).count());
  }

  w.family("lvsd_checks", Type::gauge, "Distinct health checks running (shared checks count once).");
  w.sample("lvsd_checks", "", static_cast<std::uint64_t>(health_.check_count()));
  w.family("lvsd_checks_put_off_total", Type::counter,
           "Checks not run because this host was short of descriptors or memory.");
  w.sample("lvsd_checks_put_off_total", "", health_.checks_put_off());
  w.family("lvsd_check_duration_seconds", Type::histogram, "Time a check took, by probe kind, passed or failed.");
  for (std::size_t k = 0; k < counters_.checks.size(); ++k) {
    const std::string kind(health::to_string(static_cast<health::ProbeType>(k)));
    w.histogram("lvsd_check_duration_seconds", {{"kind", kind}}, counters_.checks[k].latency);
  }
  w.family("lvsd_check_failures_total", Type::counter, "Failed checks by probe kind and reason.");
  for (std::size_t k = 0; k < counters_.checks.size(); ++k) {
    const std::string kind(health::to_string(static_cast<health::ProbeType>(k)));
    for (std::size_t i = 0; i < kFailureReasons.size(); ++i)
      w.sample("lvsd_check_failures_total", {{"kind", kind}, {"reason", kFailureReasons[i]}},
               counters_.checks[k].failures[i]);
  }

  if (ha_) {
    const lvs::ha::HaStatus st = ha_->node_status();
    w.family("lvsd_ha_state", Type::gauge, "VRRP state of this node: 1 for the current state, 0 for the others.");
    for (auto s : {lvs::ha::State::initialize, lvs::ha::State::backup, lvs::ha::State::master, lvs::ha::State::fault})
      w.sample("lvsd_ha_state", {{"state", lvs::ha::to_string(s)}}, std::uint64_t{st.state == s ? 1u : 0u});
    w.family("lvsd_ha_priority", Type::gauge, "VRRP priority this node advertises.");
    w.sample("lvsd_ha_priority", "", std::uint64_t{st.priority});
    w.family("lvsd_ha_held", Type::gauge, "1 while held standby after `lvsctl ha failover`.");
    w.sample("lvsd_ha_held", "", std::uint64_t{st.held ? 1u : 0u});
    w.family("lvsd_ha_vips", Type::gauge, "VIPs this node holds now.");
    w.sample("lvsd_ha_vips", "", static_cast<std::uint64_t>(st.vips_held.size()));
    w.family("lvsd_ha_adverts_sent_total", Type::counter, "VRRP adverts sent.");
    w.sample("lvsd_ha_adverts_sent_total", "", st.counters.sent);
    w.family("lvsd_ha_adverts_received_total", Type::counter, "VRRP adverts received and accepted.");
    w.sample("lvsd_ha_adverts_received_total", "", st.counters.received);
    w.family("lvsd_ha_adverts_dropped_total", Type::counter, "VRRP adverts dropped, by reason (lib/ha/README.md).");
    for (std::size_t i = 0; i < lvs::ha::kDropReasonCount; ++i)
      w.sample("lvsd_ha_adverts_dropped_total", {{"reason", lvs::ha::to_string(static_cast<lvs::ha::DropReason>(i))}},
               st.counters.dropped[i]);
    w.family("lvsd_ha_advert_send_errors_total", Type::counter, "VRRP adverts that could not be sent.");
    w.sample("lvsd_ha_advert_send_errors_total", "", st.counters.send_errors);
    w.family("lvsd_ha_vip_errors_total", Type::counter, "VIP additions or removals that failed.");
    w.sample("lvsd_ha_vip_errors_total", "", st.counters.vip_errors);
    w.family("lvsd_ha_transitions_total", Type::counter, "VRRP state changes, by old and new state.");
    for (const auto& [fromto, n] : ha_->transitions())
      w.sample("lvsd_ha_transitions_total",
               {{"from", lvs::ha::to_string(fromto.first)}, {"to", lvs::ha::to_string(fromto.second)}}, n);
  }

  if (!cluster_) return out;
  std::map<ipvs::ServiceKey, const ipvs::ServiceState*> in_kernel;  // normalized keys; a service has few reals
  for (const auto& st : table_.observed().services) in_kernel.emplace(ipvs::normalized(st.service.key), &st);
  std::vector<ServiceRow> services;
  std::vector<RealRow> reals;
  services.reserve(cluster_->virtual_services.size());
  reals.reserve(slots_.size());
  const DrainIndex drained(drains_.state());
  for (const auto& vs : cluster_->virtual_services) {
    ServiceRow row;
    row.labels = lvs::metrics::labels({{"service", vs.name}});
    row.quorum = vs.quorum;
    if (auto it = in_kernel.find(ipvs::normalized(lvs::desired::service_key(vs))); it != in_kernel.end())
      row.kernel = it->second;
    services.push_back(std::move(row));
  }
  for (const auto& s : slots_) {  // the reals (not the sorry ones), service by service
    const auto& vs = cluster_->virtual_services[s.service];
    RealRow row;
    row.labels = lvs::metrics::labels({{"service", vs.name}, {"real", endpoint(s.real)}});
    const health::Tracker* t = s.check ? tracker_of(*s.check) : nullptr;
    row.health = !s.check ? "unchecked" : !t || t->health() == health::Health::up ? "up" : "down";
    if (row.health != "down") ++services[s.service].healthy;
    row.admin = admin_name(drained.find(vs.name, s.real));
    for (const auto& r : vs.reals)
      if (r.address == s.real.address && r.port == s.real.port) row.configured_weight = r.weight;
    if (const auto* svc = services[s.service].kernel)
      for (const auto& d : svc->destinations)
        if (ipvs::key_of(d.dest) == s.real) row.kernel = &d;
    reals.push_back(std::move(row));
  }
  for (std::size_t i = 0; i < services.size(); ++i) {
    const auto& vs = cluster_->virtual_services[i];
    services[i].sorry_active = !vs.sorry_reals.empty() && services[i].healthy < vs.quorum;
  }
  out.reserve(out.size() + reals.size() * 12 * (reals.empty() ? 0 : reals.front().labels.size() + 40));

  using U = std::optional<std::uint64_t>;
  per_row(w, services, "lvsd_service_in_kernel", Type::gauge, "1 when the service is in the IPVS table.",
          [](const ServiceRow& r) { return U{r.kernel ? 1u : 0u}; });
  per_row(w, services, "lvsd_service_reals_healthy", Type::gauge, "Reals of the service that pass their check (or have none).",
          [](const ServiceRow& r) { return U{r.healthy}; });
  per_row(w, services, "lvsd_service_quorum", Type::gauge, "Healthy reals the service needs before its sorry reals take over.",
          [](const ServiceRow& r) { return U{r.quorum}; });
  per_row(w, services, "lvsd_service_sorry_active", Type::gauge, "1 while the sorry reals replace the reals.",
          [](const ServiceRow& r) { return U{r.sorry_active ? 1u : 0u}; });
  auto service_stat = [&](std::string_view name, std::string_view help, std::uint64_t ipvs::Stats::*field) {
    per_row(w, services, name, Type::counter, help,
            [field](const ServiceRow& r) { return r.kernel ? U{r.kernel->stats.*field} : U{}; });
  };
  service_stat("lvsd_service_connections_total", "Connections IPVS scheduled for the service (kernel counter).",
               &ipvs::Stats::conns);
  service_stat("lvsd_service_incoming_packets_total", "Packets in (kernel counter).", &ipvs::Stats::inpkts);
  service_stat("lvsd_service_outgoing_packets_total", "Packets out (kernel counter).", &ipvs::Stats::outpkts);
  service_stat("lvsd_service_incoming_bytes_total", "Bytes in (kernel counter).", &ipvs::Stats::inbytes);
  service_stat("lvsd_service_outgoing_bytes_total", "Bytes out (kernel counter).", &ipvs::Stats::outbytes);

  w.family("lvsd_real_health", Type::gauge, "The real's health (state: up, down or unchecked); always 1.");
  std::string set;
  for (const auto& r : reals) {
    set.assign(r.labels, 0, r.labels.size() - 1);
    set += ",state=\"";
    set += r.health;
    set += "\"}";
    w.sample("lvsd_real_health", set, std::uint64_t{1});
  }
  w.family("lvsd_real_admin_state", Type::gauge, "The real's admin state (state: enabled, draining or drained); always 1.");
  for (const auto& r : reals) {
    set.assign(r.labels, 0, r.labels.size() - 1);
    set += ",state=\"";
    set += r.admin;
    set += "\"}";
    w.sample("lvsd_real_admin_state", set, std::uint64_t{1});
  }
  per_row(w, reals, "lvsd_real_weight_configured", Type::gauge, "The real's weight in the descriptor.",
          [](const RealRow& r) { return U{r.configured_weight}; });
  per_row(w, reals, "lvsd_real_weight_current", Type::gauge, "The real's weight in the IPVS table (absent: not in it).",
          [](const RealRow& r) { return r.kernel ? U{r.kernel->dest.weight} : U{}; });
  per_row(w, reals, "lvsd_real_connections_active", Type::gauge, "Active connections (kernel, as last read).",
          [](const RealRow& r) { return r.kernel ? U{r.kernel->active_conns} : U{}; });
  per_row(w, reals, "lvsd_real_connections_inactive", Type::gauge, "Inactive connections (kernel, as last read).",
          [](const RealRow& r) { return r.kernel ? U{r.kernel->inactive_conns} : U{}; });
  per_row(w, reals, "lvsd_real_connections_persistent", Type::gauge,
          "Persistence templates pointing at the real (kernel, as last read).",
          [](const RealRow& r) { return r.kernel ? U{r.kernel->persistent_conns} : U{}; });
  auto real_stat = [&](std::string_view name, std::string_view help, std::uint64_t ipvs::Stats::*field) {
    per_row(w, reals, name, Type::counter, help,
            [field](const RealRow& r) { return r.kernel ? U{r.kernel->stats.*field} : U{}; });
  };
  real_stat("lvsd_real_connections_total", "Connections IPVS scheduled to the real (kernel counter).",
            &ipvs::Stats::conns);
  real_stat("lvsd_real_incoming_packets_total", "Packets in (kernel counter).", &ipvs::Stats::inpkts);
  real_stat("lvsd_real_outgoing_packets_total", "Packets out (kernel counter).", &ipvs::Stats::outpkts);
  real_stat("lvsd_real_incoming_bytes_total", "Bytes in (kernel counter).", &ipvs::Stats::inbytes);
  real_stat("lvsd_real_outgoing_bytes_total", "Bytes out (kernel counter).", &ipvs::Stats::outbytes);
  return out;
}

}  // namespace lvsd
