#include "ha/vrrp_machine.h"

#include <algorithm>

namespace lvs::ha {
namespace {

Duration centiseconds(std::uint16_t cs) { return std::chrono::milliseconds(cs * 10); }

// RFC 5798 6.4.3: the master wins a tie when its primary address is the higher one.
bool outranks(const AdvertIn& in, const MachineConfig& self) {
  if (in.priority != self.priority) return in.priority > self.priority;
  return self.primary < in.source;
}

}  // namespace

std::string_view to_string(State state) {
  switch (state) {
    case State::initialize: return "initialize";
    case State::backup: return "backup";
    case State::master: return "master";
    case State::fault: return "fault";
  }
  return "unknown";
}

Duration VrrpMachine::own_interval() const { return centiseconds(config_.advert_interval_cs); }

Duration VrrpMachine::skew() const {
  return Duration((256 - config_.priority) * master_interval_.count() / 256);
}

Duration VrrpMachine::master_down_interval() const { return 3 * master_interval_ + skew(); }

std::optional<TimePoint> VrrpMachine::next_deadline() const {
  if (master_down_at_ && advert_at_) return std::min(*master_down_at_, *advert_at_);
  return master_down_at_ ? master_down_at_ : advert_at_;
}

void VrrpMachine::arm_master_down(TimePoint now, Duration after) {
  master_down_at_ = now + after;
  advert_at_.reset();
}

bool VrrpMachine::may_preempt(TimePoint now) const {
  return config_.preempt && !held_ && now >= started_ + config_.preempt_delay;
}

// Entry actions of each state; `actions` are the exit actions of the old one.
std::vector<Action> VrrpMachine::enter(State next, TimePoint now, std::vector<Action> actions) {
  const bool changed = next != state_;
  state_ = next;
  switch (next) {
    case State::master:
      master_down_at_.reset();
      // RFC 5798 6.4.2: the advert first, then the addresses. The peer hears the new
      // master at once, before the VIP work (a held ex-master would otherwise take
      // them back if adding them is slow).
      actions.push_back({ActionKind::send_advert, config_.priority});
      actions.push_back({ActionKind::take_vips});
      advert_at_ = now + own_interval();
      break;
    case State::backup:
      actions.push_back({ActionKind::drop_vips});
      arm_master_down(now, master_down_interval());
      break;
    case State::fault:
    case State::initialize:
      actions.push_back({ActionKind::drop_vips});
      master_down_at_.reset();
      advert_at_.reset();
      break;
  }
  if (changed) actions.push_back({ActionKind::state_changed});
  return actions;
}

std::vector<Action> VrrpMachine::start(TimePoint now, bool tracked_up) {
  started_ = now;
  master_interval_ = own_interval();
  // Leaving Initialize always counts as a change, even into the same named state.
  state_ = State::initialize;
  return enter(tracked_up ? State::backup : State::fault, now, {});
}

std::vector<Action> VrrpMachine::advert(TimePoint now, const AdvertIn& in) {
  switch (state_) {
    case State::backup:
      if (in.priority == 0) {
        master_down_at_ = now + (config_.single_peer ? Duration(0) : skew());
        return {};
      }
      if (in.priority >= config_.priority || !may_preempt(now)) {
        master_interval_ = centiseconds(in.interval_cs);
        master_down_at_ = now + master_down_interval();
      }
      // A lower-priority master we may preempt: let the master-down timer run out.
      return {};
    case State::master:
      // Another master, leaving (priority 0) or outranked: after a split brain the
      // neighbours may have learnt its MAC for the VIPs, so they are announced again.
      if (in.priority == 0 || !outranks(in, config_)) {
        advert_at_ = now + own_interval();
        return {{ActionKind::send_advert, config_.priority}, {ActionKind::announce_vips}};
      }
      // Outranked (a split brain healing): priority 0 on the way out tells the other
      // master at once, which announces the VIPs again (it may never hear our own advert).
      // The VIPs go before that advert: the other master answers priority 0 with an advert
      // at once (RFC 5798 6.4.3), and we must hold no VIP by then.
      master_interval_ = centiseconds(in.interval_cs);
      {
        std::vector<Action> actions = enter(State::backup, now, {});
        auto dropped = std::find_if(actions.begin(), actions.end(),
                                    [](const Action& a) { return a.kind == ActionKind::drop_vips; });
        actions.insert(dropped == actions.end() ? dropped : dropped + 1, {ActionKind::send_advert, 0});
        return actions;
      }
    case State::initialize:
    case State::fault:
      return {};
  }
  return {};
}

std::vector<Action> VrrpMachine::timers(TimePoint now) {
  if (state_ == State::backup && master_down_at_ && now >= *master_down_at_)
    return enter(State::master, now, {});
  if (state_ == State::master && advert_at_ && now >= *advert_at_) {
    advert_at_ = now + own_interval();
    return {{ActionKind::send_advert, config_.priority}};
  }
  return {};
}

std::vector<Action> VrrpMachine::tracked(TimePoint now, bool all_up) {
  if (!all_up) {
    if (state_ == State::fault || state_ == State::initialize) return {};
    std::vector<Action> exit;
    if (state_ == State::master) exit.push_back({ActionKind::send_advert, 0});
    return enter(State::fault, now, std::move(exit));
  }
  if (state_ != State::fault) return {};
  master_interval_ = own_interval();
  return enter(State::backup, now, {});
}

std::vector<Action> VrrpMachine::hand_over(TimePoint now) {
  held_ = true;
  if (state_ != State::master) return {};
  return enter(State::backup, now, {{ActionKind::send_advert, 0}});
}

void VrrpMachine::reconfigure(TimePoint now, MachineConfig config) {
  config_ = config;
  if (state_ == State::master && advert_at_) advert_at_ = std::min(*advert_at_, now + own_interval());
}

std::vector<Action> VrrpMachine::resume() {
  held_ = false;
  return {};
}

std::vector<Action> VrrpMachine::shutdown() {
  std::vector<Action> exit;
  if (state_ == State::master) exit.push_back({ActionKind::send_advert, 0});
  if (state_ == State::initialize) return exit;
  return enter(State::initialize, TimePoint{}, std::move(exit));
}

}  // namespace lvs::ha
