// The Prometheus exposition of lvsd (`--metrics`; names and meanings: daemon/README.md).
// Everything comes from memory: the table as last read or acknowledged, the trackers,
// the drains and the counters. A scrape at 10,000 services x 4 reals is ~480,000 series
// (44 MB): it is rendered in slices on the event loop (metrics_step), family by family
// (the format wants each family's samples together) with a cursor over the services or
// the reals, so no loop turn spends more than a slice on it. Nothing points into the
// state across slices: each series is looked up when it is written.
#include <limits>
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

struct Family {
  std::string_view name;
  Type type;
  std::string_view help;
};

// Per service (`service` label), in this order.
constexpr Family kServiceFamilies[] = {
    {"lvsd_service_in_kernel", Type::gauge, "1 when the service is in the IPVS table."},
    {"lvsd_service_reals_healthy", Type::gauge, "Reals of the service that pass their check (or have none)."},
    {"lvsd_service_quorum", Type::gauge, "Healthy reals the service needs before its sorry reals take over."},
    {"lvsd_service_sorry_active", Type::gauge, "1 while the sorry reals replace the reals."},
    {"lvsd_service_connections_total", Type::counter, "Connections IPVS scheduled for the service (kernel counter)."},
    {"lvsd_service_incoming_packets_total", Type::counter, "Packets in (kernel counter)."},
    {"lvsd_service_outgoing_packets_total", Type::counter, "Packets out (kernel counter)."},
    {"lvsd_service_incoming_bytes_total", Type::counter, "Bytes in (kernel counter)."},
    {"lvsd_service_outgoing_bytes_total", Type::counter, "Bytes out (kernel counter)."},
};
// Per real (`service`, `real` labels), in this order.
constexpr Family kRealFamilies[] = {
    {"lvsd_real_health", Type::gauge, "The real's health (state: up, down or unchecked); always 1."},
    {"lvsd_real_admin_state", Type::gauge, "The real's admin state (state: enabled, draining or drained); always 1."},
    {"lvsd_real_weight_configured", Type::gauge, "The real's weight in the descriptor."},
    {"lvsd_real_weight_current", Type::gauge, "The real's weight in the IPVS table (absent: not in it)."},
    {"lvsd_real_connections_active", Type::gauge, "Active connections (kernel, as last read)."},
    {"lvsd_real_connections_inactive", Type::gauge, "Inactive connections (kernel, as last read)."},
    {"lvsd_real_connections_persistent", Type::gauge, "Persistence templates pointing at the real (kernel, as last read)."},
    {"lvsd_real_connections_total", Type::counter, "Connections IPVS scheduled to the real (kernel counter)."},
    {"lvsd_real_incoming_packets_total", Type::counter, "Packets in (kernel counter)."},
    {"lvsd_real_outgoing_packets_total", Type::counter, "Packets out (kernel counter)."},
    {"lvsd_real_incoming_bytes_total", Type::counter, "Bytes in (kernel counter)."},
    {"lvsd_real_outgoing_bytes_total", Type::counter, "Bytes out (kernel counter)."},
};
constexpr std::size_t kServiceCount = std::size(kServiceFamilies);
constexpr std::size_t kRealCount = std::size(kRealFamilies);
// The kernel's counters, in the order of the five *_total families above.
constexpr std::uint64_t ipvs::Stats::* kStats[] = {&ipvs::Stats::conns, &ipvs::Stats::inpkts, &ipvs::Stats::outpkts,
                                                  &ipvs::Stats::inbytes, &ipvs::Stats::outbytes};

std::string_view admin_name(const DrainEntry* d) {
  if (!d) return "enabled";
  return d->drained_at ? "drained" : "draining";
}

}  // namespace

std::string Daemon::metrics_text() const {
  std::string out;
  MetricsCursor cursor;
  while (!metrics_step(cursor, out, std::numeric_limits<std::size_t>::max())) {
  }
  return out;
}

bool Daemon::metrics_step(MetricsCursor& c, std::string& out, std::size_t budget) const {
  if (c.done) return true;
  const std::size_t start = out.size();
  lvs::metrics::TextWriter w(out);
  const auto now = deps_.clock.now();
  // Family f (1-based past the small ones): its HELP and TYPE, once, as it begins.
  auto enter = [&](std::size_t f) {
    c.family = f;
    c.item = 0;
    c.loads = counters_.loads_ok;
    if (!cluster_ || f > kServiceCount + kRealCount) {
      c.done = true;
      return;
    }
    const Family& fam = f <= kServiceCount ? kServiceFamilies[f - 1] : kRealFamilies[f - 1 - kServiceCount];
    w.family(fam.name, fam.type, fam.help);
  };
  auto health_of = [this](const Slot& s) -> std::string_view {
    const health::Tracker* t = s.check ? tracker_of(*s.check) : nullptr;
    return !s.check ? "unchecked" : !t || t->health() == health::Health::up ? "up" : "down";
  };
  // A service's reals are next to each other in slots_: one lookup of their service
  // in the table serves them all (valid within this call only).
  std::optional<std::size_t> looked_up;
  const ipvs::ServiceState* kernel_service = nullptr;
  auto find_dest = [&](const Slot& s) -> const ipvs::DestinationState* {
    if (looked_up != s.service) {
      kernel_service = table_.find(lvs::desired::service_key(cluster_->virtual_services[s.service]));
      looked_up = s.service;
    }
    if (kernel_service)
      for (const auto& d : kernel_service->destinations)
        if (ipvs::key_of(d.dest) == s.real) return &d;
    return nullptr;
  };
  std::string set;                  // the label set of the series being written
  std::optional<DrainIndex> drained;  // built in the slice that needs it: drains change between slices

  if (c.family == 0) {
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
    // What a reload removed and still serves its connections at weight 0 (status: "retiring").
    std::uint64_t retiring_conns = 0;
    for (const auto& r : retirements_.list()) retiring_conns += r.connections;
    for (const auto& r : retirements_.reals()) retiring_conns += r.connections;
    w.family("lvsd_retiring", Type::gauge, "Services and reals a reload removed that still serve connections at weight 0.");
    w.sample("lvsd_retiring", {{"kind", "service"}}, static_cast<std::uint64_t>(retirements_.list().size()));
    w.sample("lvsd_retiring", {{"kind", "real"}}, static_cast<std::uint64_t>(retirements_.reals().size()));
    w.family("lvsd_retiring_connections", Type::gauge, "Connections the retiring services and reals still carry (as last read).");
    w.sample("lvsd_retiring_connections", "", retiring_conns);
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

    enter(1);
  }
  while (!c.done) {
    if (c.loads != counters_.loads_ok) {  // a reload: the indices mean other things now
      enter(c.family + 1);
      continue;
    }
    const bool per_service = c.family <= kServiceCount;
    const std::size_t count = per_service ? cluster_->virtual_services.size() : slots_.size();
    for (; c.item < count; ++c.item) {
      if (out.size() - start >= budget) return false;
      if (per_service) {
        const std::size_t f = c.family - 1;
        const auto& vs = cluster_->virtual_services[c.item];
        set.clear();
        const lvs::metrics::Label labels[] = {{"service", vs.name}};
        lvs::metrics::append_labels(set, labels);
        const ipvs::ServiceState* kernel =
            f == 0 || f >= 4 ? table_.find(lvs::desired::service_key(vs)) : nullptr;
        std::size_t healthy = 0;
        if (f == 1 || f == 3)
          for (std::size_t i = first_slot_[c.item]; i < first_slot_[c.item + 1]; ++i)
            if (health_of(slots_[i]) != "down") ++healthy;
        std::optional<std::uint64_t> v;
        switch (f) {
          case 0: v = kernel ? 1u : 0u; break;
          case 1: v = healthy; break;
          case 2: v = vs.quorum; break;
          case 3: v = !vs.sorry_reals.empty() && healthy < vs.quorum ? 1u : 0u; break;
          default:
            if (kernel) v = kernel->stats.*kStats[f - 4];
        }
        if (v) w.sample(kServiceFamilies[f].name, set, *v);
        continue;
      }
      const std::size_t f = c.family - 1 - kServiceCount;
      const Slot& s = slots_[c.item];
      const auto& vs = cluster_->virtual_services[s.service];
      set.clear();
      const std::string real = endpoint(s.real);
      const lvs::metrics::Label labels[] = {{"service", vs.name}, {"real", real}};
      lvs::metrics::append_labels(set, labels);
      std::optional<std::uint64_t> v;
      if (f <= 1) {  // the state in a label, the value always 1
        if (f == 1 && !drained) drained.emplace(drains_.state());
        set.pop_back();
        set += ",state=\"";
        set += f == 0 ? health_of(s) : admin_name(drained->find(vs.name, s.real));
        set += "\"}";
        v = 1u;
      } else if (f == 2) {
        v = 0u;
        for (const auto& r : vs.reals)
          if (r.address == s.real.address && r.port == s.real.port) v = r.weight;
      } else if (const ipvs::DestinationState* d = find_dest(s)) {
        switch (f) {
          case 3: v = d->dest.weight; break;
          case 4: v = d->active_conns; break;
          case 5: v = d->inactive_conns; break;
          case 6: v = d->persistent_conns; break;
          default: v = d->stats.*kStats[f - 7];
        }
      }
      if (v) w.sample(kRealFamilies[f].name, set, *v);
    }
    enter(c.family + 1);
  }
  return true;
}

}  // namespace lvsd
