#pragma once
// FakeIpvs: an in-memory IpvsBackend that answers with the kernel's own errno values
// (net/netfilter/ipvs/ip_vs_ctl.c and ip_vs_sync.c, checked against a real kernel by
// tests/conformance). Lets the reconciler, lvsctl and lvsd be tested without a kernel.
//
// Not simulated: routing (a master daemon with an IPv6 group on an interface without an
// IPv6 multicast route gets ENETUNREACH from the kernel), "local" real addresses, and
// traffic (counters stay 0 unless a test sets them).
//
// Order of listings: the IpvsBackend interface guarantees none (the kernel lists
// services in hash order and destinations newest first). FakeIpvs lists services in
// ServiceKey order and destinations newest first; callers must not rely on either.
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ipvs/backend.h"

namespace lvs::ipvs {

class FakeIpvs final : public IpvsBackend {
 public:
  // What the simulated kernel offers; the defaults match Debian 12's kernel with every
  // IPVS module loaded and the loopback interface up.
  struct Config {
    std::set<std::string> schedulers{"rr", "wrr", "lc",  "wlc", "fo", "ovf", "lblc",
                                     "lblcr", "dh", "sh", "mh", "sed", "nq"};
    std::set<std::string> persistence_engines{"sip"};
    std::map<std::string, std::uint32_t> interfaces{{"lo", 65536}};  // name -> MTU
    std::uint32_t conn_table_size = 4096;
  };

  FakeIpvs();
  explicit FakeIpvs(Config config);

  Result<Info> info() override;
  Result<Table> read_table() override;
  Result<std::vector<ServiceState>> list_services() override;
  Result<std::vector<DestinationState>> list_destinations(const ServiceKey& key) override;

  Status add_service(const Service& s) override;
  Status edit_service(const Service& s) override;
  Status delete_service(const ServiceKey& key) override;
  Status add_destination(const ServiceKey& key, const Destination& d) override;
  Status edit_destination(const ServiceKey& key, const Destination& d) override;
  Status delete_destination(const ServiceKey& key, const DestKey& d) override;

  ApplyResult apply(const std::vector<Operation>& ops) override;

  Status flush() override;
  Status zero() override;
  Status zero(const ServiceKey& key) override;

  Result<ConnectionTable> connections() override;

  Result<Timeouts> timeouts() override;
  Status set_timeouts(const Timeouts& t) override;

  Result<std::vector<SyncDaemon>> sync_daemons() override;
  Status start_sync_daemon(const SyncDaemon& d) override;
  Status stop_sync_daemon(SyncState state) override;

  // --- for tests only: not part of IpvsBackend -----------------------------------

  // Every write request made so far (each operation of apply() counts once), whether
  // it succeeded or not: what a kernel would have been sent.
  std::size_t writes() const { return writes_; }
  void reset_writes() { writes_ = 0; }
  // Whole-table reads (read_table) made so far, failed ones included.
  std::size_t table_reads() const { return table_reads_; }
  void reset_table_reads() { table_reads_ = 0; }

  // The next write request fails with `code` and changes nothing.
  void fail_next_write(int code) { injected_failure_ = code; }
  // The next operation of apply() that `which` matches is carried out, but reported as
  // failed with `code`: the kernel applied it and its acknowledgement was lost (ENOBUFS,
  // a receive buffer overflow).
  void lose_ack_of(std::function<bool(const Operation&)> which, int code = ENOBUFS) {
    lost_ack_ = LostAck{std::move(which), code};
  }
  // The next read (read_table, list_services, connections) fails with `code`.
  void fail_next_read(int code) { injected_read_failure_ = code; }

  // Counters the kernel would report after traffic. ESRCH / ENOENT when the object
  // does not exist.
  Status set_counters(const ServiceKey& key, const Stats& stats);
  Status set_counters(const ServiceKey& key, const DestKey& dest, const Stats& stats,
                      std::uint32_t active_conns, std::uint32_t inactive_conns,
                      std::uint32_t persistent_conns);

  // The connection table connections() returns (the kernel's fills with traffic;
  // this one only when a test says so). Reads fail with fail_next_read too.
  void set_connections(ConnectionTable table) { connections_ = std::move(table); }

  // Adds (or changes the MTU of) a network interface the sync daemons can use.
  void add_interface(const std::string& name, std::uint32_t mtu) { config_.interfaces[name] = mtu; }

  // The form in which the kernel reports a service key: a fwmark service carries only
  // its family and mark, so protocol, address and port read back as their defaults.
  static ServiceKey reported_key(const ServiceKey& key);

 private:
  struct Entry {
    ServiceState state;  // destinations kept newest first, as the kernel lists them
  };

  Entry* find(const ServiceKey& key);
  Status check_write(const std::string& what);
  Status check_service_fields(const Service& s, const std::string& what) const;
  Status check_service_settings(const Service& s, const std::string& what) const;
  Status check_dest_fields(const Entry& svc, const Destination& d, const std::string& what) const;
  bool has_mixed_family_dests() const;
  bool sync_running() const { return !daemons_.empty(); }

  Config config_;
  std::map<ServiceKey, Entry> services_;
  Timeouts timeouts_{900, 120, 300};
  ConnectionTable connections_;
  std::map<SyncState, SyncDaemon> daemons_;
  std::size_t writes_ = 0;
  std::size_t table_reads_ = 0;
  std::optional<int> injected_failure_;
  std::optional<int> injected_read_failure_;
  struct LostAck {
    std::function<bool(const Operation&)> which;
    int code = 0;
  };
  std::optional<LostAck> lost_ack_;
};

}  // namespace lvs::ipvs
