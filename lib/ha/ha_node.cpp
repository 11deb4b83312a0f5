#include "ha/ha_node.h"

#include <algorithm>
#include <cerrno>

namespace lvs::ha {

MachineConfig machine_config(const HaSettings& s) {
  MachineConfig c;
  c.priority = s.self.priority;
  c.advert_interval_cs = static_cast<std::uint16_t>(std::clamp<std::uint32_t>(s.ha.advert_interval_ms / 10, 1, kMaxIntervalCs));
  c.primary = s.self.address;
  c.preempt = s.ha.preempt;
  c.preempt_delay = std::chrono::seconds(s.ha.preempt_delay_s);
  c.single_peer = s.peers.size() == 1;
  return c;
}

HaNode::HaNode(HaSettings settings, PacketIo& io, AddressBackend& addresses, Announcer& announcer, HaEvents events)
    : settings_(std::move(settings)),
      io_(io),
      addresses_(addresses),
      announcer_(announcer),
      events_(std::move(events)),
      machine_(machine_config(settings_)) {
  expect_.vrid = settings_.ha.virtual_router_id;
  expect_.family = settings_.self.address.family;
  expect_.standby_reports = settings_.keys.has_value();
  expect_.addresses = vip_list(settings_, expect_.family);
}

std::vector<net::IpAddress> vip_list(const HaSettings& s, net::Family family) {
  std::vector<net::IpAddress> out;
  for (const auto& v : s.ha.vips)
    if (v.address.address.family == family) out.push_back(v.address.address);
  return out;
}

void HaNode::reconfigure(HaSettings settings, TimePoint now) {
  std::vector<VipAddress> gone;
  for (const auto& v : settings_.ha.vips)
    if (std::find(settings.ha.vips.begin(), settings.ha.vips.end(), v) == settings.ha.vips.end())
      gone.push_back({v.address, v.interface});
  auto previous = expect_.addresses;
  settings_ = std::move(settings);
  expect_.addresses = vip_list(settings_, expect_.family);
  // The peer may run the old list until it reloads too: accept both meanwhile.
  if (!same_addresses(previous, expect_.addresses)) expect_.previous_addresses = std::move(previous);
  machine_.reconfigure(now, machine_config(settings_));
  for (const auto& vip : gone) {
    if (auto s = addresses_.remove(vip); !s) {
      ++counters_.vip_errors;
      if (events_.log) events_.log(s.error().describe());
    }
    std::erase(held_vips_, vip);
  }
  if (machine_.state() != State::master) return;
  bool added = false;
  for (const auto& v : settings_.ha.vips) {
    VipAddress vip{v.address, v.interface};
    if (std::find(held_vips_.begin(), held_vips_.end(), vip) != held_vips_.end()) continue;
    if (auto s = addresses_.add(vip); !s) {
      ++counters_.vip_errors;
      if (events_.log) events_.log(s.error().describe());
      continue;
    }
    held_vips_.push_back(vip);
    added = true;
  }
  if (!added) return;
  // A burst for all held VIPs, as on a takeover (the old ones just get refreshed).
  announce_all();
  announcements_left_ = std::max(0, settings_.announce_burst - 1);
  announce_at_ = announcements_left_ > 0 ? std::optional(now + settings_.announce_gap)
                 : settings_.announce_refresh.count() > 0 ? std::optional(now + settings_.announce_refresh)
                                                          : std::nullopt;
}

std::vector<net::IpAddress> HaNode::destinations() const {
  if (settings_.ha.peers == model::PeerMode::multicast) return {vrrp_multicast_group(expect_.family)};
  std::vector<net::IpAddress> out;
  for (const auto& p : settings_.peers) out.push_back(p.address);
  return out;
}

Status HaNode::start(TimePoint now, bool tracked_up, const PersistentHa& saved) {
  saved_ = saved;
  // Two hosts answering for one VIP is the failure operators fear most: whatever a
  // crashed lvsd left here goes first.
  for (const auto& v : settings_.ha.vips) {
    VipAddress vip{v.address, v.interface};
    auto present = addresses_.present(vip);
    if (!present) return present.error();
    if (*present) {
      if (auto s = addresses_.remove(vip); !s) return s.error();
      if (events_.log) events_.log("removed VIP " + v.address.to_string() + " left on " + v.interface);
    }
  }
  if (settings_.keys) {
    // A new epoch before the first advert, so no counter is ever used twice.
    ++saved_.epoch;
    counter_.emplace(saved_.epoch);
    for (const auto& [peer, epoch] : saved_.peer_epochs) replay_.remember_epoch(peer, epoch);
  }
  machine_.set_held(saved_.held);
  persist();
  fault_ = tracked_up ? "" : "a tracked interface is down";
  run(machine_.start(now, tracked_up), now, tracked_up ? "start" : fault_);
  return ok();
}

void HaNode::persist() {
  saved_.held = machine_.held();
  if (events_.persist) events_.persist(saved_);
}

void HaNode::run(const std::vector<Action>& actions, TimePoint now, const std::string& why) {
  const State before = state_before_;
  for (const auto& a : actions) {
    switch (a.kind) {
      case ActionKind::send_advert: send_advert(a.priority); break;
      case ActionKind::take_vips: take_vips(now); break;
      case ActionKind::drop_vips: drop_vips(); break;
      case ActionKind::announce_vips: announce_again(now); break;
      case ActionKind::state_changed:
        if (events_.state_changed) events_.state_changed(before, machine_.state(), why);
        break;
    }
  }
  state_before_ = machine_.state();
  schedule_reports(now);
}

void HaNode::send_advert(std::uint8_t priority, std::uint8_t type) {
  Advert a{settings_.ha.virtual_router_id, priority, machine_config(settings_).advert_interval_cs, expect_.addresses,
           type};
  for (const auto& dst : destinations()) {
    auto wire = encode_advert(a, settings_.self.address, dst);
    if (settings_.keys && counter_) {
      auto counter = counter_->next();
      if (!counter) {
        // The sequence is used up (years of adverts): a new epoch, persisted first.
        ++saved_.epoch;
        persist();
        counter_.emplace(saved_.epoch);
        counter = counter_->next();
      }
      auto trailer = sign(wire, settings_.self.address, dst, settings_.keys->keys.front(), *counter);
      wire.insert(wire.end(), trailer.begin(), trailer.end());
    }
    if (auto s = io_.send(wire, dst); !s) {
      ++counters_.send_errors;
      if (events_.log) events_.log(s.error().describe());
    } else {
      ++(type == kTypeStandby ? counters_.reports_sent : counters_.sent);
    }
  }
}

Duration HaNode::report_every() const {
  return std::max<Duration>(settings_.standby_report_every, std::chrono::milliseconds(machine_.config().advert_interval_cs * 10));
}

// A backup with keys reports at once on entering Backup, then every report_every().
void HaNode::schedule_reports(TimePoint now) {
  if (!settings_.keys || machine_.state() != State::backup) {
    report_at_.reset();
    return;
  }
  if (!report_at_ || now >= *report_at_) {
    send_advert(settings_.self.priority, kTypeStandby);
    report_at_ = now + report_every();
  }
}

void HaNode::take_vips(TimePoint now) {
  held_vips_.clear();
  for (const auto& v : settings_.ha.vips) {
    VipAddress vip{v.address, v.interface};
    if (auto s = addresses_.add(vip); !s) {
      ++counters_.vip_errors;
      if (events_.log) events_.log(s.error().describe());
      continue;
    }
    held_vips_.push_back(vip);
  }
  announce_all();
  announcements_left_ = std::max(0, settings_.announce_burst - 1);
  announce_at_ = announcements_left_ > 0 ? std::optional(now + settings_.announce_gap)
                 : settings_.announce_refresh.count() > 0 ? std::optional(now + settings_.announce_refresh)
                                                          : std::nullopt;
}

void HaNode::announce_again(TimePoint now) {
  // At most one burst a second, however often the other master's adverts arrive (it may
  // not hear ours).
  if (held_vips_.empty() || (last_announce_again_ && now - *last_announce_again_ < std::chrono::seconds(1))) return;
  last_announce_again_ = now;
  announce_all();
  announcements_left_ = std::max(0, settings_.announce_burst - 1);
  announce_at_ = announcements_left_ > 0 ? std::optional(now + settings_.announce_gap)
                 : settings_.announce_refresh.count() > 0 ? std::optional(now + settings_.announce_refresh)
                                                          : std::nullopt;
}

void HaNode::announce_all() {
  for (const auto& vip : held_vips_)
    if (auto s = announcer_.announce(vip); !s && events_.log) events_.log(s.error().describe());
}

void HaNode::drop_vips() {
  announce_at_.reset();
  announcements_left_ = 0;
  // Every VIP of the descriptor, not only those we think we hold: removing is idempotent
  // and a VIP we failed to record must not stay behind.
  for (const auto& v : settings_.ha.vips) {
    VipAddress vip{v.address, v.interface};
    if (auto s = addresses_.remove(vip); !s) {
      ++counters_.vip_errors;
      if (events_.log) events_.log(s.error().describe());
    }
  }
  held_vips_.clear();
}

void HaNode::readable(TimePoint now) {
  for (int i = 0; i < 64; ++i) {  // bounded: the rest waits for the next turn of the loop
    auto got = io_.receive();
    if (!got) {
      if (events_.log) events_.log(got.error().describe());
      return;
    }
    if (!*got) return;
    handle(**got, now);
  }
}

void HaNode::handle(const Datagram& d, TimePoint now) {
  const bool authenticated = settings_.keys.has_value();
  auto parsed = parse_advert(d.payload, d.envelope, expect_, authenticated);
  if (auto* reason = std::get_if<DropReason>(&parsed)) return drop(*reason);
  const auto& advert = std::get<Advert>(parsed);
  if (settings_.ha.peers == model::PeerMode::unicast) {
    const bool known = std::any_of(settings_.peers.begin(), settings_.peers.end(),
                                   [&](const model::Node& n) { return n.address == d.envelope.source; });
    if (!known) return drop(DropReason::unknown_source);
  }
  if (authenticated) {
    auto v = verify(d.payload, advert_length(expect_.family, advert.addresses.size()), d.envelope.source,
                    d.envelope.destination, *settings_.keys);
    if (auto* reason = std::get_if<DropReason>(&v)) return drop(*reason);
    const auto before = replay_.epoch_of(d.envelope.source);
    if (!replay_.accept(d.envelope.source, std::get<Verified>(v).counter)) return drop(DropReason::auth_replay);
    const auto after = replay_.epoch_of(d.envelope.source);
    if (after != before) {
      std::erase_if(saved_.peer_epochs, [&](const auto& pe) { return pe.first == d.envelope.source; });
      saved_.peer_epochs.emplace_back(d.envelope.source, *after);
      persist();
    }
  }
  if (advert.type == kTypeStandby) {
    // A peer in Backup says it is there: only a hand-over reads it, the machine never.
    ++counters_.reports_received;
    standby_ = PeerSeen{d.envelope.source, advert.priority, advert.interval_cs, now, advert.addresses};
    return;
  }
  // The peer runs our current list: the one before our last reload is not needed any more.
  if (!expect_.previous_addresses.empty() && same_addresses(advert.addresses, expect_.addresses))
    expect_.previous_addresses.clear();
  ++counters_.received;
  peer_ = PeerSeen{d.envelope.source, advert.priority, advert.interval_cs, now, advert.addresses};
  run(machine_.advert(now, {d.envelope.source, advert.priority, advert.interval_cs}), now,
      advert.priority == 0 ? "the master " + d.envelope.source.to_string() + " is leaving"
                           : "advert from " + d.envelope.source.to_string() + " with priority " +
                                 std::to_string(advert.priority));
}

void HaNode::timers(TimePoint now) {
  const State before = machine_.state();
  auto actions = machine_.timers(now);
  run(actions, now, before == State::backup ? "no advert from the master for the master-down interval" : "advert timer");
  if (announce_at_ && now >= *announce_at_ && machine_.state() == State::master) {
    announce_all();
    if (announcements_left_ > 0) --announcements_left_;
    announce_at_ = announcements_left_ > 0 ? std::optional(now + settings_.announce_gap)
                   : settings_.announce_refresh.count() > 0 ? std::optional(now + settings_.announce_refresh)
                                                            : std::nullopt;
  }
}

void HaNode::tracked(TimePoint now, bool all_up, const std::string& why) {
  fault_ = all_up ? "" : why;
  run(machine_.tracked(now, all_up), now, why);
}

std::optional<PeerSeen> HaNode::recent_standby(TimePoint now) const {
  if (standby_ && now - standby_->at <= 3 * report_every()) return standby_;
  return std::nullopt;
}

std::string HaNode::hand_over_refusal(TimePoint now) const {
  if (machine_.state() != State::master) return {};
  if (!settings_.keys)
    return "with authentication none a standby sends nothing (VRRP backups are silent), so this node cannot "
           "tell whether a peer would take over: check the peer (`lvsctl ha status` there), then hand over "
           "with --force";
  const auto window = 3 * report_every();
  const auto ms = [](auto d) { return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()); };
  if (!standby_)
    return "no standby has reported since this lvsd started (a standby lvsd reports every " + ms(report_every()) +
           " ms): the peer may be stopped, in fault or cut off; check it, or hand over with --force";
  if (!recent_standby(now))
    return "the standby " + standby_->address.to_string() + " last reported " + ms(now - standby_->at) +
           " ms ago (wanted within " + ms(window) + " ms): it may be stopped, in fault or cut off; check it, or "
           "hand over with --force";
  return {};
}

Status HaNode::hand_over(TimePoint now, bool force) {
  if (!force)
    if (auto why = hand_over_refusal(now); !why.empty()) return make_error(EAGAIN, "no hand-over: " + why);
  run(machine_.hand_over(now), now, "operator hand-over");
  persist();
  return ok();
}

void HaNode::resume() {
  run(machine_.resume(), TimePoint{}, "operator resume");
  persist();
}

void HaNode::shutdown() { run(machine_.shutdown(), TimePoint{}, "shutdown"); }

std::optional<TimePoint> HaNode::next_deadline() const {
  auto next = machine_.next_deadline();
  for (const auto& t : {announce_at_, report_at_})
    if (t && (!next || *t < *next)) next = t;
  return next;
}

HaStatus HaNode::status() const {
  HaStatus s;
  s.state = machine_.state();
  s.priority = settings_.self.priority;
  s.held = machine_.held();
  s.fault = fault_;
  s.peer = peer_;
  s.standby = standby_;
  s.master_down_at = machine_.master_down_at();
  s.vips_held = held_vips_;
  s.counters = counters_;
  return s;
}

}  // namespace lvs::ha
