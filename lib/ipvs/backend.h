#pragma once
// The one interface every IPVS backend implements: NetlinkIpvs (kernel) and FakeIpvs (memory).
// Errors carry the kernel's errno and the object they were about.
#include <cstddef>
#include <string>
#include <variant>
#include <vector>

#include "common/result.h"
#include "ipvs/connections.h"
#include "ipvs/types.h"

namespace lvs::ipvs {

// One write to the kernel table. A plan is a sequence of these.
struct AddService { Service service; bool operator==(const AddService&) const = default; };
struct EditService { Service service; bool operator==(const EditService&) const = default; };
struct DeleteService { ServiceKey key; bool operator==(const DeleteService&) const = default; };
struct AddDest { ServiceKey service; Destination dest; bool operator==(const AddDest&) const = default; };
struct EditDest { ServiceKey service; Destination dest; bool operator==(const EditDest&) const = default; };
struct DeleteDest { ServiceKey service; DestKey dest; bool operator==(const DeleteDest&) const = default; };

using Operation = std::variant<AddService, EditService, DeleteService, AddDest, EditDest, DeleteDest>;

std::string describe(const Operation& op);  // "add service tcp 192.0.2.10:25 (rr)"

// Outcome of a batch: which operations the kernel confirmed, and the first failure if any.
struct ApplyResult {
  std::vector<bool> applied;                // one per operation, true when the kernel ACKed it
  std::vector<Error> errors;                // every failed operation, with errno and object
  std::vector<std::size_t> failed_indices;  // index into the plan for each entry of `errors`
  bool ok() const { return errors.empty(); }
  std::size_t applied_count() const;
};

class IpvsBackend {
 public:
  virtual ~IpvsBackend() = default;

  virtual Result<Info> info() = 0;
  // Listings come in no guaranteed order (the kernel lists services in hash order and
  // destinations newest first): compare them as sets. The reals of a missing service
  // list as empty, as the kernel's dump does.
  virtual Result<Table> read_table() = 0;  // every service with its destinations and stats
  virtual Result<std::vector<ServiceState>> list_services() = 0;
  virtual Result<std::vector<DestinationState>> list_destinations(const ServiceKey& key) = 0;

  virtual Status add_service(const Service& s) = 0;
  virtual Status edit_service(const Service& s) = 0;
  virtual Status delete_service(const ServiceKey& key) = 0;
  virtual Status add_destination(const ServiceKey& key, const Destination& d) = 0;
  virtual Status edit_destination(const ServiceKey& key, const Destination& d) = 0;
  virtual Status delete_destination(const ServiceKey& key, const DestKey& d) = 0;

  // Runs every operation in order; keeps going after a failure so the result accounts
  // for each one. NetlinkIpvs pipelines them; FakeIpvs runs them one by one.
  virtual ApplyResult apply(const std::vector<Operation>& ops) = 0;

  virtual Status flush() = 0;
  virtual Status zero() = 0;                        // all counters
  virtual Status zero(const ServiceKey& key) = 0;   // one service's counters

  // The connection table (ipvsadm -c), read from /proc/net/ip_vs_conn of the backend's
  // network namespace: IPVS offers no netlink command for it.
  virtual Result<ConnectionTable> connections() = 0;

  virtual Result<Timeouts> timeouts() = 0;
  virtual Status set_timeouts(const Timeouts& t) = 0;

  virtual Result<std::vector<SyncDaemon>> sync_daemons() = 0;
  virtual Status start_sync_daemon(const SyncDaemon& d) = 0;
  virtual Status stop_sync_daemon(SyncState state) = 0;
};

}  // namespace lvs::ipvs
