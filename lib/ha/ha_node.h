#pragma once
// One balancer's part in the pair: the state machine wired to its packets, its VIPs and
// their announcements. Every dependency is injected (PacketIo, AddressBackend,
// Announcer, the time passed in), so unit tests run two HaNodes back to back with fakes
// and no sleeps; lvsd gives it the raw socket, rtnetlink and the real announcer.
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "ha/announce.h"
#include "ha/vip_addresses.h"
#include "ha/vrrp_auth.h"
#include "ha/vrrp_machine.h"
#include "ha/vrrp_packet.h"
#include "ha/vrrp_socket.h"
#include "model/cluster.h"

namespace lvs::ha {

// What survives a restart: our epoch for the HMAC counter, the operator's hold, and
// each peer's last epoch. Stored by the caller (STATE_DIR/ha.json in lvsd).
struct PersistentHa {
  std::uint32_t epoch = 0;
  bool held = false;
  std::vector<std::pair<net::IpAddress, std::uint32_t>> peer_epochs;
  bool operator==(const PersistentHa&) const = default;
};

struct HaSettings {
  model::Node self;
  std::vector<model::Node> peers;  // the other nodes
  model::Ha ha;
  std::optional<KeyRing> keys;     // hmac-sha256 only
  // Announcements: a burst on takeover, then a refresh while master (0: none).
  int announce_burst = 3;
  std::chrono::milliseconds announce_gap{100};
  std::chrono::milliseconds announce_refresh{std::chrono::seconds(60)};
  // hmac-sha256 only: a backup's standby report every this long (at least the advert
  // interval); a master hands over only to a peer that reported within 3 of them.
  std::chrono::milliseconds standby_report_every{std::chrono::seconds(1)};
};

struct PeerSeen {
  net::IpAddress address;
  std::uint8_t priority = 0;
  std::uint16_t interval_cs = 0;
  TimePoint at{};
  std::vector<net::IpAddress> addresses;  // the VIP list it carried
};

struct HaCounters {
  std::uint64_t sent = 0;
  std::uint64_t received = 0;  // accepted adverts
  std::uint64_t reports_sent = 0;      // standby reports (hmac-sha256 only)
  std::uint64_t reports_received = 0;
  std::array<std::uint64_t, kDropReasonCount> dropped{};
  std::uint64_t send_errors = 0;
  std::uint64_t vip_errors = 0;
};

struct HaStatus {
  State state = State::initialize;
  std::uint8_t priority = 0;
  bool held = false;
  std::string fault;  // why, in Fault
  std::optional<PeerSeen> peer;
  std::optional<PeerSeen> standby;  // the last standby report heard (hmac-sha256 only)
  std::optional<TimePoint> master_down_at;
  std::vector<VipAddress> vips_held;
  HaCounters counters;
};

struct HaEvents {
  std::function<void(State from, State to, const std::string& why)> state_changed;
  std::function<void(const std::string& line)> log;  // warnings: failed sends, VIP errors
  std::function<void(const PersistentHa&)> persist;  // when the hold or an epoch changed
};

class HaNode {
 public:
  HaNode(HaSettings settings, PacketIo& io, AddressBackend& addresses, Announcer& announcer, HaEvents events);

  // Removes any of our VIPs left on this host (a crashed lvsd) before anything else,
  // then starts in Backup (or Fault). `saved` is what persist() last stored.
  Status start(TimePoint now, bool tracked_up, const PersistentHa& saved);
  void readable(TimePoint now);  // reads every waiting datagram
  void timers(TimePoint now);    // due timers and announcements
  void tracked(TimePoint now, bool all_up, const std::string& why);
  // lvsctl ha failover. A master refuses (nothing changes) unless `force` or a standby
  // reported within the last 3 report intervals: hand over to nobody and the VIPs go
  // unanswered for the master-down interval. Elsewhere it only sets the hold.
  Status hand_over(TimePoint now, bool force = false);
  // The last standby report when it arrived within 3 report intervals.
  std::optional<PeerSeen> recent_standby(TimePoint now) const;
  // Why a master would refuse to hand over now; empty: a standby is ready.
  std::string hand_over_refusal(TimePoint now) const;
  void resume();                  // lvsctl ha resume
  void shutdown();                // SIGTERM: priority 0 if master, VIPs removed
  // A reload with the same router (VRID, interface, peers, auth type): VIPs, priority,
  // interval, preempt, announcements, keys. A master adds new VIPs (and announces them)
  // and removes dropped ones at once; nobody changes state.
  void reconfigure(HaSettings settings, TimePoint now);
  // The VIPs of the adverts' family (what adverts carry).
  const std::vector<net::IpAddress>& advertised() const { return expect_.addresses; }
  std::optional<TimePoint> next_deadline() const;
  HaStatus status() const;
  const VrrpMachine& machine() const { return machine_; }

 private:
  void run(const std::vector<Action>& actions, TimePoint now, const std::string& why);
  void send_advert(std::uint8_t priority, std::uint8_t type = kTypeAdvert);
  void schedule_reports(TimePoint now);
  Duration report_every() const;
  void take_vips(TimePoint now);
  void announce_again(TimePoint now);  // a new burst, for ActionKind::announce_vips
  void drop_vips();
  void announce_all();
  void handle(const Datagram& d, TimePoint now);
  void drop(DropReason reason) { ++counters_.dropped[static_cast<std::size_t>(reason)]; }
  void persist();
  std::vector<net::IpAddress> destinations() const;
  std::vector<VipAddress> vips_of_family() const;

  HaSettings settings_;
  PacketIo& io_;
  AddressBackend& addresses_;
  Announcer& announcer_;
  HaEvents events_;
  VrrpMachine machine_;
  Expectation expect_;
  std::optional<CounterSource> counter_;
  ReplayGuard replay_;
  PersistentHa saved_;
  HaCounters counters_;
  std::optional<PeerSeen> peer_;
  std::optional<PeerSeen> standby_;
  std::optional<TimePoint> report_at_;  // next standby report, while Backup with keys
  std::vector<VipAddress> held_vips_;
  std::string fault_;
  int announcements_left_ = 0;
  std::optional<TimePoint> announce_at_;
  std::optional<TimePoint> last_announce_again_;
  State state_before_ = State::initialize;  // for state_changed's `from`
};

MachineConfig machine_config(const HaSettings& settings);
// The VIPs of `family` in the settings, in descriptor order.
std::vector<net::IpAddress> vip_list(const HaSettings& settings, net::Family family);

}  // namespace lvs::ha
