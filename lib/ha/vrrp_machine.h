#pragma once
// The VRRPv3 state machine (RFC 5798 section 6.4) for one virtual router, as pure code:
// the caller feeds it events with the current time and carries out the actions it
// returns (send an advert, take or drop the VIPs, notify). Timers are deadlines the
// caller reads back with next_deadline(); no clock, socket or address lives here.
//
//  state      event                              next     actions
//  ---------  ---------------------------------  -------  ---------------------------------
//  Initialize start, tracked all up              Backup   drop VIPs, arm master-down
//  Initialize start, a tracked interface down    Fault    drop VIPs
//  Backup     advert prio 0                      Backup   master-down := skew (0 with one peer)
//  Backup     advert prio >= ours, or no preempt Backup   learn interval, re-arm master-down
//             (or held after a hand-over)
//  Backup     advert prio < ours, may preempt    Backup   ignore it (master-down runs out)
//  Backup     master-down timer                  Master   send advert, take VIPs, arm advert
//  Master     advert timer                       Master   send advert, re-arm
//  Master     advert prio 0                      Master   send advert, re-arm
//  Master     advert prio > ours, or equal with  Backup   drop VIPs, learn interval,
//             a higher primary address                    arm master-down
//  Master     advert prio < ours                 Master   ignore it
//  Master     operator hand-over                 Backup   send prio 0, drop VIPs, hold
//  any        tracked interface down             Fault    (Master: send prio 0) drop VIPs
//  Fault      all tracked interfaces up          Backup   arm master-down
//  any        shutdown                           Initialize (Master: send prio 0) drop VIPs
//  any        operator resume                    same     clear hold
//
// "Held": after a hand-over the node stays standby (it never preempts, whatever its
// priority) until the operator resumes it; it still takes over when the master goes
// silent, because a held standby must not leave the VIPs unanswered.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "net/ip_address.h"

namespace lvs::ha {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = std::chrono::microseconds;

enum class State : std::uint8_t { initialize, backup, master, fault };
std::string_view to_string(State state);

struct MachineConfig {
  std::uint8_t priority = 100;               // 1..254 (255 would own the addresses)
  std::uint16_t advert_interval_cs = 100;    // ours, centiseconds
  net::IpAddress primary;                    // our address: breaks priority ties
  bool preempt = true;
  Duration preempt_delay{0};                 // after start, before preempting
  // With exactly one peer there is nobody to arbitrate between, so a priority-0
  // advert is answered at once instead of after the skew time.
  bool single_peer = true;
};

enum class ActionKind : std::uint8_t {
  send_advert,    // with `priority` (0: we are leaving)
  take_vips,      // add the VIPs, then announce them (gratuitous ARP / unsolicited NA)
  drop_vips,
  state_changed,  // notify: command, control-socket event, log
};

struct Action {
  ActionKind kind;
  std::uint8_t priority = 0;  // send_advert only
  bool operator==(const Action&) const = default;
};

struct AdvertIn {
  net::IpAddress source;
  std::uint8_t priority = 0;
  std::uint16_t interval_cs = 100;
};

class VrrpMachine {
 public:
  explicit VrrpMachine(MachineConfig config) : config_(config) {}

  std::vector<Action> start(TimePoint now, bool tracked_up);
  std::vector<Action> advert(TimePoint now, const AdvertIn& in);
  // Runs out whichever timer is due at `now`; nothing when none is.
  std::vector<Action> timers(TimePoint now);
  std::vector<Action> tracked(TimePoint now, bool all_up);
  std::vector<Action> hand_over(TimePoint now);
  std::vector<Action> resume();
  // A reload: new priority, interval, preempt. No state change; a master's next advert
  // comes no later than one new interval from now.
  void reconfigure(TimePoint now, MachineConfig config);
  std::vector<Action> shutdown();

  State state() const { return state_; }
  bool held() const { return held_; }
  void set_held(bool held) { held_ = held; }  // restored from disk at start
  std::optional<TimePoint> next_deadline() const;
  std::optional<TimePoint> master_down_at() const { return master_down_at_; }
  // What the RFC calls Master_Adver_Interval: learnt from the master's adverts.
  Duration master_interval() const { return master_interval_; }
  Duration skew() const;
  Duration master_down_interval() const;
  const MachineConfig& config() const { return config_; }

 private:
  std::vector<Action> enter(State next, TimePoint now, std::vector<Action> actions);
  void arm_master_down(TimePoint now, Duration after);
  bool may_preempt(TimePoint now) const;
  Duration own_interval() const;

  MachineConfig config_;
  State state_ = State::initialize;
  bool held_ = false;
  TimePoint started_{};
  Duration master_interval_{own_interval()};
  std::optional<TimePoint> master_down_at_;
  std::optional<TimePoint> advert_at_;
};

}  // namespace lvs::ha
