#pragma once
// lvsd's HA part: the descriptor's `ha` section brought to life. It picks this node,
// opens the VRRP socket, runs lib/ha's HaNode, keeps both IPVS sync daemons running,
// watches the tracked interfaces, keeps ha.json, and runs the notify command. The
// daemon only wires it: the socket's fd into the event loop, deadlines into the timer,
// status and the `ha` commands through the control socket. Every outside effect goes
// through HaPartDeps, so tests run it with fakes.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/file_io.h"
#include "common/result.h"
#include "control/ha.h"
#include "daemon/log.h"
#include "ha/ha_node.h"
#include "ha/takeover_grace.h"
#include "ipvs/backend.h"
#include "model/cluster.h"

namespace lvsd {

// An interface's state as the tracker needs it: up and running (carrier).
using LinkProbe = std::function<bool(const std::string& interface)>;
// Starts `argv` without a shell and without waiting for it.
using Spawner = std::function<lvs::Status(const std::vector<std::string>& argv)>;
using PacketIoFactory =
    std::function<lvs::Result<std::unique_ptr<lvs::ha::PacketIo>>(const lvs::ha::SocketConfig& config)>;

struct HaPartDeps {
  lvs::ipvs::IpvsBackend& backend;  // sync daemons only
  lvs::ha::AddressBackend& addresses;
  lvs::ha::Announcer& announcer;
  PacketIoFactory open_io;
  LinkProbe link_up;
  Spawner spawn;
  Logger& log;
  // Reads the HMAC key file (a secret: the daemon reads it with the file layer's cap).
  std::function<lvs::Result<std::string>(const std::string& path)> read_key_file;
  std::string state_file;  // ha.json (empty: not persisted, for tests)
  std::vector<lvs::net::IpAddress> local_addresses;  // for picking the node without --node
  // The takeover grace's rules (nftables in lvsd); nullptr: none.
  lvs::ha::GraceFilter* grace = nullptr;
};

struct HaPartStatus {
  std::string node;
  lvs::ha::HaStatus ha;
  std::vector<std::string> sync;  // "master on eth1 id 51", ...
  std::vector<std::string> tracked_down;
};

class HaPart {
 public:
  // Nullptr (and no error) when the descriptor has no `ha` section.
  static lvs::Result<std::unique_ptr<HaPart>> create(const lvs::model::Cluster& cluster, const std::string& node_flag,
                                                     HaPartDeps deps);

  // Stray VIPs first, then sync daemons, then the state machine.
  lvs::Status start(lvs::ha::TimePoint now);
  void readable(lvs::ha::TimePoint now);
  void timers(lvs::ha::TimePoint now);
  // The IPVS table could not (or again could) be programmed: a node in Fault holds no VIP.
  void table_fault(lvs::ha::TimePoint now, bool failed, const std::string& why);
  // Refused on a master without a standby ready, unless `force` (lib/ha HaNode::hand_over).
  lvs::Status hand_over(lvs::ha::TimePoint now, bool force);
  void resume();
  void shutdown();
  // A reload, in two steps so nothing changes when any part of it is refused: prepare()
  // checks that `cluster`'s ha section and nodes can be applied live (the same VRID,
  // interface, peer mode, authentication type and node names and addresses; an error
  // names the field otherwise) and reads the key file again; apply() runs it: VIPs,
  // priorities, advert interval, preempt, announcements, notify, sync, keys.
  lvs::Result<lvs::ha::HaSettings> prepare(const lvs::model::Cluster& cluster, lvs::ha::TimePoint now) const;
  void apply(lvs::ha::HaSettings settings, lvs::ha::TimePoint now);
  // The services and reals the takeover grace covers (the daemon passes them on reload;
  // armed rules are put in again with them; a running grace keeps its rules to its end).
  void set_grace_rules(lvs::ha::GraceRules rules);
  bool grace_active() const { return grace_end_.has_value(); }

  std::optional<lvs::ha::TimePoint> next_deadline() const;
  int fd() const { return fd_; }
  // Reads the sync daemons from the kernel: for status requests, not the STATUS= line.
  HaPartStatus status() const;
  // The state machine's view only (no kernel read): cheap enough for every scrape.
  lvs::ha::HaStatus node_status() const { return node_->status(); }
  // State changes since the start, by (from, to).
  const std::map<std::pair<lvs::ha::State, lvs::ha::State>, std::uint64_t>& transitions() const {
    return transitions_;
  }
  lvs::ha::State state() const { return node_->machine().state(); }
  bool held() const { return node_->machine().held(); }
  const lvs::ha::HaSettings& settings() const { return settings_; }
  // Called on every state change after the log line and the notify command (the
  // daemon publishes it on the control socket).
  using StateObserver = std::function<void(lvs::ha::State from, lvs::ha::State to, const std::string& why)>;
  void set_observer(StateObserver observer) { observer_ = std::move(observer); }

 private:
  HaPart(HaPartDeps deps, lvs::ha::HaSettings settings, std::unique_ptr<lvs::ha::PacketIo> io, int fd);
  void check_links(lvs::ha::TimePoint now);
  void ensure_sync();
  void on_state(lvs::ha::State from, lvs::ha::State to, const std::string& why);
  void persist(const lvs::ha::PersistentHa& state);
  std::vector<std::string> tracked_interfaces() const;
  std::chrono::milliseconds grace_span() const;
  void grace_arm();
  void grace_begin(lvs::ha::TimePoint now);
  void grace_remove(const std::string& why);

  HaPartDeps deps_;
  lvs::ha::HaSettings settings_;
  std::unique_ptr<lvs::ha::PacketIo> io_;
  int fd_ = -1;
  std::unique_ptr<lvs::ha::HaNode> node_;
  std::vector<std::string> down_;
  std::string table_fault_;
  std::optional<lvs::ha::TimePoint> next_link_check_;
  std::optional<lvs::ha::TimePoint> next_sync_check_;
  std::map<std::pair<lvs::ha::State, lvs::ha::State>, std::uint64_t> transitions_;
  StateObserver observer_;
  lvs::ha::GraceRules grace_rules_;
  bool armed_ = false;                           // rules in while not master
  std::optional<lvs::ha::TimePoint> grace_end_;  // set while the grace rules are (meant to be) in
  lvs::ha::TimePoint now_{};                      // the latest time we were called with
};

// The part's state as the control protocol reports it.
lvs::control::HaReport ha_report(const HaPart& part, lvs::ha::TimePoint now);

// The kernel's side of HaPartDeps. Links: IFF_UP and IFF_RUNNING through a socket made
// where the watcher was created (lvsd's --netns); a missing interface counts as down.
class KernelLinks {
 public:
  static lvs::Result<KernelLinks> open();
  bool up(const std::string& interface) const;

 private:
  explicit KernelLinks(std::shared_ptr<lvs::UniqueFd> fd) : fd_(std::move(fd)) {}
  std::shared_ptr<lvs::UniqueFd> fd_;  // shared: the watcher is copied into a std::function
};
lvs::Status spawn_detached(const std::vector<std::string>& argv);

}  // namespace lvsd
