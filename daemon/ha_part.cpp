#include "daemon/ha_part.h"

#include <net/if.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/file_io.h"
#include "ha/ha_state.h"
#include "model/loader.h"

extern char** environ;

namespace lvsd {
namespace {

using lvs::ha::TimePoint;
using namespace std::chrono_literals;

constexpr auto kLinkCheckEvery = 200ms;  // how soon a dead link moves the VIPs away
constexpr auto kSyncCheckEvery = 30s;    // a stopped sync daemon is started again

// A master's message buffer always has room for one connection whatever sync_maxlen says
// (ip_vs_sync_buff_create), and the kernel queues it for sending when the next one does not
// fit: with 1, each connection event leaves in its own message at the next event.
constexpr std::uint16_t kEachMaxLen = 1;
// What the kernel reports for a master started with `max_len` (start_sync_thread clamps a
// master's to 1..65535 - headers; 0 becomes 1500 - headers; lvsd always uses the default
// IPv4 group, so the headers are IPv4 + UDP).
constexpr std::uint16_t kSyncHeaders = 20 + 8;
std::uint16_t master_len_reported(std::uint16_t max_len) {
  if (max_len == 0) return 1500 - kSyncHeaders;
  return std::clamp<std::uint16_t>(max_len, 1, 65535 - kSyncHeaders);
}

std::string describe(const lvs::ipvs::SyncDaemon& d) {
  std::string out = std::string(lvs::ipvs::to_string(d.state)) + " on " + d.interface + " id " +
                    std::to_string(d.sync_id);
  if (d.max_len == 0)  // one to start: the kernel picks the length
    return out + (d.state == lvs::ipvs::SyncState::master ? ", default maxlen (batched)" : "");
  out += ", maxlen " + std::to_string(d.max_len);
  if (d.state == lvs::ipvs::SyncState::master && d.max_len == master_len_reported(kEachMaxLen)) out += " (each)";
  if (d.state == lvs::ipvs::SyncState::master && d.max_len == master_len_reported(0)) out += " (batched)";
  return out;
}

lvs::ipvs::SyncDaemon wanted(const lvs::model::Sync& sync, lvs::ipvs::SyncState state) {
  lvs::ipvs::SyncDaemon d;
  d.state = state;
  d.interface = sync.interface;
  d.sync_id = sync.sync_id;
  // The backup's length is its receive buffer: the kernel's default (the MTU) is right.
  if (state == lvs::ipvs::SyncState::master && sync.send == lvs::model::SyncSend::each) d.max_len = kEachMaxLen;
  return d;
}

// Why a running daemon is not the wanted one; empty: it is.
std::string mismatch(const lvs::ipvs::SyncDaemon& running, const lvs::ipvs::SyncDaemon& want) {
  std::string why;
  auto add = [&](const std::string& what) { why += (why.empty() ? "" : ", ") + what; };
  if (running.interface != want.interface) add("interface " + running.interface + ", wanted " + want.interface);
  if (running.sync_id != want.sync_id)
    add("sync id " + std::to_string(running.sync_id) + ", wanted " + std::to_string(want.sync_id));
  if (want.state == lvs::ipvs::SyncState::master && running.max_len != master_len_reported(want.max_len))
    add("maxlen " + std::to_string(running.max_len) + ", wanted " +
        std::to_string(master_len_reported(want.max_len)) +
        (want.max_len == kEachMaxLen ? " (ha.sync.send each)" : " (ha.sync.send batched)"));
  return why;
}

}  // namespace

static lvs::Result<lvs::ha::KeyRing> read_keys(const HaPartDeps& deps, const lvs::model::Ha& ha) {
  auto text = deps.read_key_file(ha.authentication.key_file);
  if (!text) return text.error();
  return lvs::ha::parse_key_file(*text, ha.authentication.key_file);
}

lvs::Result<std::unique_ptr<HaPart>> HaPart::create(const lvs::model::Cluster& cluster, const std::string& node_flag,
                                                    HaPartDeps deps) {
  if (!cluster.ha) return std::unique_ptr<HaPart>{};
  auto self = lvs::model::find_local_node(cluster, node_flag, deps.local_addresses);
  if (!self) return self.error();
  lvs::ha::HaSettings s;
  s.self = *self;
  for (const auto& n : cluster.nodes)
    if (n.name != self->name) s.peers.push_back(n);
  if (s.peers.empty()) return lvs::make_error(0, "ha needs at least one other node in `nodes`");
  s.ha = *cluster.ha;
  s.announce_refresh = std::chrono::seconds(s.ha.garp_refresh_s);
  if (s.ha.authentication.type == lvs::model::AuthType::hmac_sha256) {
    auto keys = read_keys(deps, s.ha);
    if (!keys) return keys.error();
    s.keys = std::move(*keys);
  }
  const bool multicast = s.ha.peers == lvs::model::PeerMode::multicast;
  auto io = deps.open_io({s.self.address, s.ha.interface, multicast});
  if (!io) return io.error();
  const int fd = (*io)->fd();
  auto part = std::unique_ptr<HaPart>(new HaPart(std::move(deps), std::move(s), std::move(*io), fd));
  part->grace_rules_ = lvs::ha::grace_rules(cluster);
  return part;
}

HaPart::HaPart(HaPartDeps deps, lvs::ha::HaSettings settings, std::unique_ptr<lvs::ha::PacketIo> io, int fd)
    : deps_(std::move(deps)), settings_(std::move(settings)), io_(std::move(io)), fd_(fd) {
  lvs::ha::HaEvents events;
  events.state_changed = [this](lvs::ha::State from, lvs::ha::State to, const std::string& why) { on_state(from, to, why); };
  events.log = [this](const std::string& line) { deps_.log.warning("ha: " + line); };
  events.persist = [this](const lvs::ha::PersistentHa& p) { persist(p); };
  node_ = std::make_unique<lvs::ha::HaNode>(settings_, *io_, deps_.addresses, deps_.announcer, std::move(events));
}

std::vector<std::string> HaPart::tracked_interfaces() const {
  std::vector<std::string> out{settings_.ha.interface};
  for (const auto& v : settings_.ha.vips)
    if (std::find(out.begin(), out.end(), v.interface) == out.end()) out.push_back(v.interface);
  return out;
}

void HaPart::persist(const lvs::ha::PersistentHa& state) {
  if (deps_.state_file.empty()) return;
  if (auto s = lvs::ha::save_ha_state(deps_.state_file, state); !s)
    deps_.log.error("ha: cannot save " + deps_.state_file + ": " + s.error().describe());
}

lvs::Status HaPart::start(TimePoint now) {
  now_ = now;
  // A crashed lvsd's grace rules would drop traffic for good: gone before anything else.
  if (deps_.grace)
    if (auto s = deps_.grace->remove(); !s)
      deps_.log.warning("ha: takeover grace: cannot remove rules left by an earlier lvsd: " + s.error().describe());
  grace_arm();
  lvs::ha::PersistentHa saved;
  if (!deps_.state_file.empty()) {
    auto loaded = lvs::ha::load_ha_state(deps_.state_file);
    // A wrong epoch would reuse HMAC counters: refuse to start rather than guess.
    if (!loaded) return loaded.error();
    saved = *loaded;
  }
  ensure_sync();
  down_.clear();
  for (const auto& i : tracked_interfaces())
    if (!deps_.link_up(i)) down_.push_back(i);
  const bool up = down_.empty() && table_fault_.empty();
  deps_.log.notice("ha: node " + settings_.self.name + " (" + settings_.self.address.to_string() + ", priority " +
                   std::to_string(settings_.self.priority) + "), virtual router " +
                   std::to_string(settings_.ha.virtual_router_id) + " on " + settings_.ha.interface +
                   (saved.held ? ", held as standby since an operator hand-over" : ""));
  if (auto s = node_->start(now, up, saved); !s) return s;
  next_link_check_ = now + kLinkCheckEvery;
  next_sync_check_ = now + kSyncCheckEvery;
  return lvs::ok();
}

void HaPart::ensure_sync() {
  if (!settings_.ha.sync) return;
  auto running = deps_.backend.sync_daemons();
  if (!running) {
    deps_.log.warning("ha: cannot read the sync daemons: " + running.error().describe());
    return;
  }
  // Both on every node: the master daemon sends the connections this node serves, the
  // backup daemon learns the peer's, so either node can take over established sessions.
  // Each is checked alone, so a change of ha.sync.send restarts only the master daemon.
  for (auto state : {lvs::ipvs::SyncState::master, lvs::ipvs::SyncState::backup}) {
    const auto want = wanted(*settings_.ha.sync, state);
    auto it = std::find_if(running->begin(), running->end(), [&](const auto& d) { return d.state == state; });
    if (it != running->end()) {
      const std::string why = mismatch(*it, want);
      if (why.empty()) continue;
      if (auto s = deps_.backend.stop_sync_daemon(state); !s) {
        deps_.log.warning("ha: cannot stop the sync daemon " + describe(*it) + ": " + s.error().describe());
        continue;
      }
      deps_.log.notice("ha: sync daemon " + describe(*it) + " stopped to restart it: " + why);
    }
    if (auto s = deps_.backend.start_sync_daemon(want); !s)
      deps_.log.warning("ha: cannot start the sync daemon " + describe(want) + ": " + s.error().describe());
    else
      deps_.log.notice("ha: sync daemon " + describe(want) + " started");
  }
}

void HaPart::check_links(TimePoint now) {
  std::vector<std::string> down;
  for (const auto& i : tracked_interfaces())
    if (!deps_.link_up(i)) down.push_back(i);
  if (down == down_) return;
  down_ = down;
  for (const auto& i : down) deps_.log.warning("ha: tracked interface " + i + " is down");
  const bool up = down_.empty() && table_fault_.empty();
  std::string why = !down_.empty() ? "tracked interface " + down_.front() + " is down"
                    : !table_fault_.empty() ? table_fault_
                                           : "tracked interfaces are up again";
  node_->tracked(now, up, why);
}

void HaPart::table_fault(TimePoint now, bool failed, const std::string& why) {
  now_ = now;
  const std::string next = failed ? "the IPVS table cannot be programmed: " + why : "";
  if (next == table_fault_) return;
  table_fault_ = next;
  const bool up = down_.empty() && table_fault_.empty();
  node_->tracked(now, up, failed ? table_fault_ : "the IPVS table is programmed again");
}

void HaPart::readable(TimePoint now) {
  now_ = now;
  node_->readable(now);
}

void HaPart::timers(TimePoint now) {
  now_ = now;
  if (grace_end_ && now >= *grace_end_) grace_remove("the takeover grace is over");
  node_->timers(now);
  if (next_link_check_ && now >= *next_link_check_) {
    check_links(now);
    next_link_check_ = now + kLinkCheckEvery;
  }
  if (next_sync_check_ && now >= *next_sync_check_) {
    ensure_sync();
    next_sync_check_ = now + kSyncCheckEvery;
  }
}

lvs::Result<lvs::ha::HaSettings> HaPart::prepare(const lvs::model::Cluster& cluster, TimePoint now) const {
  const std::string restart = ": restart lvsd to apply that (on the master, `lvsctl ha failover` first)";
  if (!cluster.ha) return lvs::make_error(EINVAL, "the ha section was removed" + restart);
  const auto& was = settings_.ha;
  const auto& next = *cluster.ha;
  auto fixed = [&](const char* field, bool same) -> lvs::Status {
    if (same) return lvs::ok();
    return lvs::make_error(EINVAL, std::string(field) + " cannot change while lvsd runs" + restart);
  };
  for (const auto& s : {fixed("ha.virtual_router_id", next.virtual_router_id == was.virtual_router_id),
                        fixed("ha.interface", next.interface == was.interface),
                        fixed("ha.peers", next.peers == was.peers),
                        fixed("ha.authentication.type", next.authentication.type == was.authentication.type)})
    if (!s) return s.error();
  // The pair itself (names and addresses) is fixed; priorities are not.
  auto names = [](const std::vector<lvs::model::Node>& nodes) {
    std::vector<std::pair<std::string, lvs::net::IpAddress>> out;
    for (const auto& n : nodes) out.emplace_back(n.name, n.address);
    std::sort(out.begin(), out.end());
    return out;
  };
  std::vector<lvs::model::Node> was_nodes = settings_.peers;
  was_nodes.push_back(settings_.self);
  if (auto s = fixed("nodes (names and addresses)", names(cluster.nodes) == names(was_nodes)); !s) return s.error();
  lvs::ha::HaSettings s = settings_;
  s.ha = next;
  s.peers.clear();
  for (const auto& n : cluster.nodes) {
    if (n.name == s.self.name) s.self = n;
    else s.peers.push_back(n);
  }
  s.announce_refresh = std::chrono::seconds(next.garp_refresh_s);
  if (next.authentication.type == lvs::model::AuthType::hmac_sha256) {
    // Read again even when the path is the same: that is how a key is rotated.
    auto keys = read_keys(deps_, next);
    if (!keys) return keys.error();
    s.keys = std::move(*keys);
  }
  // A standby still on the old VIP list drops a master's adverts that carry the new one
  // and takes over: with reports we can tell, so the standby must be reloaded first.
  const auto list = lvs::ha::vip_list(s, s.self.address.family);
  if (node_->machine().state() == lvs::ha::State::master && !lvs::ha::same_addresses(list, node_->advertised()))
    if (auto standby = node_->recent_standby(now); standby && !lvs::ha::same_addresses(standby->addresses, list))
      return lvs::make_error(EAGAIN, "the VIPs changed but the standby " + standby->address.to_string() +
                                         " still runs the old list: reload it first, then this master (else it "
                                         "drops this master's adverts and takes over)");
  return s;
}

void HaPart::apply(lvs::ha::HaSettings settings, TimePoint now) {
  now_ = now;
  std::string added, removed;
  for (const auto& v : settings.ha.vips)
    if (std::find(settings_.ha.vips.begin(), settings_.ha.vips.end(), v) == settings_.ha.vips.end())
      added += " " + v.address.to_string() + " on " + v.interface;
  for (const auto& v : settings_.ha.vips)
    if (std::find(settings.ha.vips.begin(), settings.ha.vips.end(), v) == settings.ha.vips.end())
      removed += " " + v.address.to_string() + " on " + v.interface;
  const bool sync_changed = settings.ha.sync != settings_.ha.sync;
  settings_ = settings;
  node_->reconfigure(std::move(settings), now);
  if (sync_changed) ensure_sync();
  deps_.log.notice("ha: reloaded (priority " + std::to_string(settings_.self.priority) + ", adverts every " +
                   std::to_string(settings_.ha.advert_interval_ms) + " ms" +
                   (added.empty() ? "" : ", VIPs added:" + added) +
                   (removed.empty() ? "" : ", VIPs removed:" + removed) + ")");
}

lvs::Status HaPart::hand_over(TimePoint now, bool force) {
  now_ = now;
  return node_->hand_over(now, force);
}
void HaPart::resume() { node_->resume(); }
void HaPart::shutdown() {
  node_->shutdown();
  // Also when no grace runs: lvsd's table must not outlive it.
  if (deps_.grace)
    if (auto s = deps_.grace->remove(); !s)
      deps_.log.warning("ha: takeover grace: cannot remove the rules at exit: " + s.error().describe());
  grace_end_.reset();
  armed_ = false;
}

void HaPart::set_grace_rules(lvs::ha::GraceRules rules) {
  grace_rules_ = std::move(rules);
  if (!grace_end_ && state() != lvs::ha::State::master) grace_arm();  // armed: the new services
}

std::chrono::milliseconds HaPart::grace_span() const {
  if (!deps_.grace || !settings_.ha.sync) return std::chrono::milliseconds(0);
  return std::chrono::milliseconds(settings_.ha.sync->takeover_grace_ms);
}

static std::string grace_summary(const lvs::ha::GraceRules& r) {
  return std::to_string(r.services.size()) + " services, " + std::to_string(r.nat_reals.size()) + " NAT reals";
}

// The rules are in while this node is not master ("armed"): harmless there (it holds no
// VIP and is not the reals' gateway), and in place the instant the VIPs arrive, since the
// first retransmission can follow the announcement within milliseconds.
void HaPart::grace_arm() {
  if (!deps_.grace) return;
  if (grace_span().count() == 0 || grace_rules_.empty()) {
    if (armed_)
      if (auto s = deps_.grace->remove(); !s)
        deps_.log.warning("ha: takeover grace: cannot remove the rules (grace off): " + s.error().describe());
    armed_ = false;
    return;
  }
  if (auto s = deps_.grace->install(grace_rules_); !s) {
    armed_ = false;
    deps_.log.warning("ha: takeover grace: cannot put in the drop rules for " + grace_summary(grace_rules_) +
                      " (connections not yet synced may be reset at a takeover): " + s.error().describe());
    return;
  }
  if (!armed_) deps_.log.info("ha: takeover grace: armed for the next takeover (" + grace_summary(grace_rules_) + ")");
  armed_ = true;
}

void HaPart::grace_begin(TimePoint now) {
  const auto span = grace_span();
  if (span.count() == 0 || grace_rules_.empty()) return;
  grace_end_ = now + span;
  // Not armed (a failed install, or the grace just turned on): put them in now, after the
  // VIPs (the state change is the machine's last action); a failure leaves the takeover.
  if (!armed_)
    if (auto s = deps_.grace->install(grace_rules_); !s) {
      deps_.log.warning("ha: takeover grace: cannot install the drop rules for " + grace_summary(grace_rules_) +
                        " (connections not yet synced may be reset): " + s.error().describe());
      return;
    }
  armed_ = false;
  deps_.log.notice("ha: takeover grace: dropping what IPVS does not take for " + std::to_string(span.count()) +
                 " ms (" + grace_summary(grace_rules_) + ")");
}

void HaPart::grace_remove(const std::string& why) {
  if (!grace_end_) return;
  grace_end_.reset();
  if (auto s = deps_.grace->remove(); !s)
    deps_.log.warning("ha: takeover grace: cannot remove the drop rules (" + why + "): " + s.error().describe());
  else
    deps_.log.notice("ha: takeover grace: rules removed (" + why + ")");
}

std::optional<TimePoint> HaPart::next_deadline() const {
  std::optional<TimePoint> next = node_->next_deadline();
  for (const auto& t : {next_link_check_, next_sync_check_, grace_end_})
    if (t && (!next || *t < *next)) next = t;
  return next;
}

void HaPart::on_state(lvs::ha::State from, lvs::ha::State to, const std::string& why) {
  ++transitions_[{from, to}];
  const std::string to_word(lvs::ha::to_string(to));
  deps_.log.notice("ha: " + std::string(lvs::ha::to_string(from)) + " -> " + to_word + " (" + why + ")");
  if (to == lvs::ha::State::master) {
    grace_begin(now_);
  } else if (from == lvs::ha::State::master) {
    grace_end_.reset();
    grace_arm();  // in again, for the next takeover
  }
  if (observer_) observer_(from, to, why);
  if (settings_.ha.notify.empty()) return;
  auto argv = settings_.ha.notify;
  argv.push_back(to_word);
  if (auto s = deps_.spawn(argv); !s) deps_.log.warning("ha: notify command: " + s.error().describe());
}

HaPartStatus HaPart::status() const {
  HaPartStatus s;
  s.node = settings_.self.name;
  s.ha = node_->status();
  s.tracked_down = down_;
  if (settings_.ha.sync) {
    auto running = deps_.backend.sync_daemons();
    if (running)
      for (const auto& d : *running) s.sync.push_back(describe(d));
  }
  return s;
}

lvs::control::HaReport ha_report(const HaPart& part, TimePoint now) {
  const auto st = part.status();
  lvs::control::HaReport r;
  r.node = st.node;
  r.state = std::string(lvs::ha::to_string(st.ha.state));
  r.priority = st.ha.priority;
  r.held = st.ha.held;
  r.fault = st.ha.fault;
  auto seconds = [](auto d) { return std::chrono::duration<double>(d).count(); };
  auto peer = [&](const lvs::ha::PeerSeen& p) {
    return lvs::control::HaPeer{p.address.to_string(), p.priority, static_cast<std::uint32_t>(p.interval_cs) * 10,
                                seconds(now - p.at)};
  };
  if (st.ha.peer) r.peer = peer(*st.ha.peer);
  if (st.ha.standby) r.standby = peer(*st.ha.standby);
  if (st.ha.state == lvs::ha::State::backup && st.ha.master_down_at)
    r.master_down_in_s = std::max(0.0, seconds(*st.ha.master_down_at - now));
  for (const auto& v : st.ha.vips_held) r.vips.push_back(v.address.to_string() + " on " + v.interface);
  r.sync = st.sync;
  r.tracked_down = st.tracked_down;
  r.adverts_sent = st.ha.counters.sent;
  r.adverts_received = st.ha.counters.received;
  r.send_errors = st.ha.counters.send_errors;
  r.reports_sent = st.ha.counters.reports_sent;
  r.reports_received = st.ha.counters.reports_received;
  r.vip_errors = st.ha.counters.vip_errors;
  for (std::size_t i = 0; i < lvs::ha::kDropReasonCount; ++i)
    if (st.ha.counters.dropped[i] != 0)
      r.dropped[std::string(lvs::ha::to_string(static_cast<lvs::ha::DropReason>(i)))] = st.ha.counters.dropped[i];
  return r;
}

lvs::Result<KernelLinks> KernelLinks::open() {
  auto fd = std::make_shared<lvs::UniqueFd>(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!*fd) return lvs::make_error(errno, "cannot open a socket to watch the tracked interfaces");
  return KernelLinks(std::move(fd));
}

bool KernelLinks::up(const std::string& interface) const {
  ifreq req{};
  if (interface.size() >= sizeof req.ifr_name) return false;
  std::memcpy(req.ifr_name, interface.c_str(), interface.size());
  if (::ioctl(fd_->get(), SIOCGIFFLAGS, &req) != 0) return false;  // gone counts as down
  return (req.ifr_flags & IFF_UP) && (req.ifr_flags & IFF_RUNNING);
}

lvs::Status spawn_detached(const std::vector<std::string>& argv) {
  if (argv.empty()) return lvs::make_error(EINVAL, "no command");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  // lvsd ignores SIGCHLD while HA runs, so the kernel reaps these children.
  const int rc = ::posix_spawn(&pid, args[0], nullptr, nullptr, args.data(), environ);
  if (rc != 0) return lvs::make_error(rc, "cannot run " + argv[0]);
  return lvs::ok();
}

}  // namespace lvsd
