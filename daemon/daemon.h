#pragma once
// The daemon: the descriptor and its parts (health bindings, table keeper, drains), driven by
// the event loop (runtime.h) through poll() and the control commands. Every dependency
// is injected, so unit tests run it with FakeIpvs, a manual clock and fake probes.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "control/replies.h"
#include "control/status.h"
#include "daemon/control_protocol.h"
#include "daemon/drains.h"
#include "daemon/ha_part.h"
#include "daemon/health_bindings.h"
#include "daemon/health_wiring.h"
#include "daemon/log.h"
#include "daemon/metrics_counters.h"
#include "daemon/retirements.h"
#include "daemon/sysctl.h"
#include "daemon/table_keeper.h"
#include "desired/marks.h"
#include "health/registry.h"
#include "ipvs/backend.h"
#include "ipvs/ownership.h"
#include "model/loader.h"

namespace lvsd {

struct DaemonOptions {
  std::string config_path;
  std::string state_dir = lvs::ipvs::kDefaultStateDir;
  std::string netns;
  std::string node;
  // Kernel counters are read for drains and for status. With nothing draining, status
  // reads them itself when they are older than counts_fresh_for, so the idle daemon reads
  // the table rarely: at 10,000 services one read costs more than a minute of checks.
  std::chrono::milliseconds counts_interval{60000};          // nothing draining
  std::chrono::milliseconds counts_interval_draining{2000};  // while something drains
  std::chrono::milliseconds counts_fresh_for{1000};          // status reads older ones again
  std::chrono::milliseconds retry_interval{5000};            // after a failed reconcile
  // A service a reload removed is deleted once its connections end, at the latest this
  // long after the reload (daemon/README.md, "Reload").
  std::uint32_t retire_deadline_s = 300;
};

using DescriptorLoader = std::function<lvs::model::LoadResult(const std::string& path)>;

struct DaemonDeps {
  lvs::ipvs::IpvsBackend& backend;
  const lvs::health::Clock& clock;
  WallClock wall_clock;
  lvs::health::Random& random;
  lvs::health::ProbeFactory probe_factory;
  SysctlAccess& sysctls;
  Logger& log;
  DescriptorLoader loader;
  CheckEnv check_env;
  std::function<void()> on_reload;  // e.g. drop cached TLS contexts; may be empty
  // Builds the HA part for a descriptor (nullptr without an `ha` section). Empty: lvsd
  // runs no HA at all (unit tests of other parts).
  std::function<lvs::Result<std::unique_ptr<HaPart>>(const lvs::model::Cluster&)> make_ha = {};
  // Writes one event (HA state change, health edge, drain/enable) to the control
  // socket's subscribers. Empty: events go nowhere.
  std::function<void(const nlohmann::json&)> publish = {};
  // Sets the firewall marks of marked fwmark services (nftables in lvsd). Null: lvsd
  // marks nothing (unit tests of other parts).
  lvs::desired::MarkFilter* marks = nullptr;
};

// Why start() failed, as the process exit status says it.
enum class StartFailure { invalid_descriptor = 1, environment = 2 };

struct DescriptorStatus {
  std::string path;
  bool ok = false;  // the last load attempt succeeded
  std::string cluster;
  std::int64_t loaded_at = 0;        // when the running descriptor was loaded
  std::int64_t last_attempt_at = 0;  // when a load was last tried
  std::vector<std::string> errors;   // of the last attempt
  std::vector<std::string> warnings;
};

// What a reload did. Refused (ok false): `error` says why and `errors` lists the
// descriptor's errors (or the table read's); the previous descriptor still runs.
// Done: the reconcile's counts and errors, and the descriptor's warnings.
struct ReloadOutcome {
  bool ok = false;
  std::string error;
  std::vector<std::string> errors;
  std::size_t operations = 0;
  std::size_t failed = 0;
  std::vector<std::string> warnings;
  bool operator==(const ReloadOutcome&) const = default;
};
// The reload reply of the control socket (daemon/README.md).
void to_json(nlohmann::json& j, const ReloadOutcome& outcome);

using Reply = std::function<void(const nlohmann::json&)>;

// Wires the parts: health bindings (checks), the table keeper (the IPVS table and its
// ownership), drains (admin state). It holds the descriptor and which check each
// (service, real) uses; each part holds its own state.
class Daemon {
 public:
  Daemon(DaemonOptions options, DaemonDeps deps);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Load, read the kernel table, subscribe the checks, first reconcile.
  [[nodiscard]] std::optional<StartFailure> start();

  // Starts due checks, collects finished probes, reads counters when due, reconciles
  // when health or admin state changed. Never blocks.
  void poll();
  // When poll() has work next (nullopt: nothing scheduled).
  std::optional<lvs::health::TimePoint> next_wakeup() const;
  int probe_fd() const { return health_.fd(); }
  // The VRRP socket, -1 without HA; readable means poll() has adverts to read.
  int ha_fd() const { return ha_ ? ha_->fd() : -1; }
  // SIGTERM: a master hands over (priority 0) and every VIP is removed.
  void shutdown();

  // SIGHUP / `lvsctl reload`.
  ReloadOutcome reload();
  // A control request from a peer already authorized. `reply` may be called later
  // (check waits for its probes).
  void handle(const Request& request, Reply reply);

  // The status document; `query` (a status request) may filter it (unfiltered: all).
  lvs::control::StatusReport status(const Request& query = {}) const;
  // The Prometheus text exposition of everything lvsd knows (daemon/README.md, "Metrics"):
  // from memory only, nothing is read from the kernel for it.
  std::string metrics_text() const;
  // The same in slices: appends to `out` until it grew by `budget` bytes (at least one
  // series) or the document is complete; true when it is. The state may change between
  // two calls: each series is as of its slice, and a reload in the middle of a per-service
  // or per-real family ends that family there (the next ones are whole, from the new state).
  bool metrics_step(MetricsCursor& cursor, std::string& out, std::size_t budget) const;
  // One line for systemd's STATUS=.
  std::string status_line() const;
  // Goes up whenever status_line() may have changed (health, admin state, descriptor):
  // the loop builds the line only then, not on every wakeup.
  std::uint64_t changes() const { return changes_; }

  // For tests and status.
  const DescriptorStatus& descriptor() const { return descriptor_; }
  const AdminState& admin() const { return drains_.state(); }
  const Retirements& retirements() const { return retirements_; }
  const lvs::ipvs::Table& observed() const { return table_.observed(); }
  const ReconcileReport& last_reconcile() const { return table_.last_reconcile(); }
  const std::vector<SysctlSetting>& sysctls() const { return sysctls_; }
  const lvs::model::Cluster* cluster() const { return cluster_ ? &*cluster_ : nullptr; }
  std::size_t check_count() const { return health_.check_count(); }
  const HaPart* ha() const { return ha_.get(); }
  const DaemonCounters& counters() const { return counters_; }
  // Health of one real of one service: "up", "down" or "unchecked"; empty when unknown.
  std::string health_of(const std::string& service, const lvs::ipvs::DestKey& real) const;

 private:
  struct Slot {
    std::size_t service = 0;  // index into cluster_->virtual_services
    lvs::ipvs::DestKey real;
    std::optional<lvs::health::CheckKey> check;  // identity: the descriptor's initial state
  };
  // The services (indices) a status request shows, and how it filters their reals.
  struct StatusSelection {
    std::vector<std::size_t> services;
    std::string shown = "all";  // "all" | "filtered" | "brief"
    bool service_seen = false;  // the service filter named a service the descriptor has
    bool real_filter = false;   // only the reals `passes` accepts are shown
    std::function<bool(const lvs::model::VirtualService&, const lvs::model::Real&)> passes;
  };
  struct PendingCheck {
    Reply reply;
    lvs::control::CheckReply results;
    std::size_t outstanding = 0;
  };

  lvs::Result<std::vector<Slot>> build_slots(const lvs::model::Cluster& cluster) const;
  void set_slots(std::vector<Slot> slots);
  void load_failed(const lvs::model::LoadResult& result, const std::vector<std::string>& extra);
  void loaded(const lvs::model::LoadResult& result);
  // Binds the checks of `slots`; a new check whose real serves in the table starts up.
  void bind_checks(const std::vector<Slot>& slots);
  bool slot_healthy(const lvs::model::VirtualService& vs, const lvs::model::Real& r) const;
  // Its check says down (not up, not unknown).
  bool real_down(const lvs::model::VirtualService& vs, const lvs::model::Real& r) const;
  // Draining or drained.
  bool real_admin_out(const lvs::model::VirtualService& vs, const lvs::model::Real& r) const;
  StatusSelection select_status(const Request& query) const;
  nlohmann::json status_command(const Request& request);
  const lvs::health::Tracker* tracker_of(const lvs::health::CheckKey& identity) const;
  const Slot* slot_for(const std::string& service, const lvs::ipvs::DestKey& real) const;
  void apply_kernel_settings();
  // Installs (or removes) the marks unless they are the ones installed last. An error
  // stops the start or refuses the reload; failing to remove a table this lvsd never
  // installed is only logged.
  lvs::Status sync_marks(const lvs::desired::MarkRules& rules);
  // Marks services (indices) for the next reconcile.
  void mark_dirty(std::size_t service);
  void mark_all_dirty();
  // Services the loaded descriptor dropped begin (or stop) retiring; reads observed().
  void follow_retirements();
  void reconcile_now();
  // Reads the whole table; false when that failed (logged).
  bool refresh_table();
  // After a read (read: the table or the counts were read) or a reconcile: follows drains
  // and schedules the next counts read.
  void after_table_read(bool read = true);
  // Resolves a request's real/service to slots; an error message when none match.
  lvs::Result<std::vector<const Slot*>> select(const Request& request) const;
  void run_check(const Request& request, Reply reply);
  nlohmann::json admin_command(const Request& request);
  std::string admin_word(const std::string& service, const lvs::ipvs::DestKey& real) const;
  nlohmann::json ha_command(const Request& request);
  // The IPVS table cannot be programmed: the HA part goes to Fault so the peer serves.
  void report_table_to_ha();
  void publish(const nlohmann::json& event) const {
    if (deps_.publish) deps_.publish(event);
  }

  DaemonOptions options_;
  DaemonDeps deps_;
  HealthBindings health_;
  TableKeeper table_;
  Drains drains_;
  Retirements retirements_;
  std::unique_ptr<HaPart> ha_;  // null without an `ha` section
  DaemonCounters counters_;

  std::optional<lvs::model::Cluster> cluster_;
  DescriptorStatus descriptor_;
  std::vector<Slot> slots_;
  std::map<std::pair<std::string, lvs::ipvs::DestKey>, std::size_t> slot_index_;  // (service name, real) -> slots_
  std::multimap<std::string, std::size_t, std::less<>> services_by_name_;  // name -> cluster_->virtual_services
  std::vector<std::size_t> first_slot_;  // service i's slots are [first_slot_[i], first_slot_[i + 1])
  std::vector<SysctlSetting> sysctls_;
  // The marks last installed (empty rules: removed); nullopt before the first success.
  std::optional<lvs::desired::MarkRules> marks_;

  bool dirty_ = false;
  // What dirty_ is about: these services only (a health edge, a drain), or everything
  // (start, reload, a retry) when dirty_all_ or the set is empty.
  bool dirty_all_ = false;
  std::set<std::size_t> dirty_services_;  // indices into cluster_->virtual_services
  std::unordered_map<lvs::health::CheckKey, std::vector<std::size_t>, lvs::health::CheckKeyHash>
      check_services_;  // the services each check serves
  lvs::health::TimePoint next_counts_{};
  // The next whole-table read (and full diff); counts of a drain between two are read
  // for its services only.
  lvs::health::TimePoint next_full_read_{};
  std::uint64_t changes_ = 0;
  // Goes up with each health edge and new slots: status_line() counts up and down again.
  std::uint64_t health_epoch_ = 1;
  struct LineCounts {
    std::uint64_t epoch = 0;
    std::size_t up = 0, down = 0;
  };
  mutable LineCounts line_counts_;
  std::uint64_t next_pending_ = 1;
  std::map<std::uint64_t, PendingCheck> pending_;
};

}  // namespace lvsd
