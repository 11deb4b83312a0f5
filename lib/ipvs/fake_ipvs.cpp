#include "ipvs/fake_ipvs.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <utility>
#include <variant>

#include "common/overloaded.h"

namespace lvs::ipvs {

namespace {

// Limits the kernel enforces (include/uapi/linux/ip_vs.h and its netlink policies:
// NLA_NUL_STRING lengths exclude the terminating NUL).
constexpr std::size_t kSchedNameMax = 15;  // IP_VS_SCHEDNAME_MAXLEN - 1
constexpr std::size_t kPeNameMax = 16;     // IP_VS_PENAME_MAXLEN
constexpr std::size_t kIfNameMax = 15;     // IP_VS_IFNAME_MAXLEN - 1
constexpr std::uint32_t kVersionCode = 0x010201;
// Timeouts are kept in jiffies; Debian's kernels run at HZ=250.
constexpr std::uint32_t kHz = 250;
constexpr std::uint32_t kMaxTimeout = INT_MAX / kHz;
constexpr std::uint16_t kSyncPort = 8848;
constexpr std::uint8_t kSyncTtl = 1;

Error fail(int code, const std::string& what, const std::string& why) {
  return make_error(code, what + ": " + why);
}

bool family_valid(Family f) { return f == Family::inet || f == Family::inet6; }

// ip_vs_new_dest: an IPv4 real must be unicast or local (inet_addr_type: only 0.0.0.0
// is "zeronet" there, 0.1.2.3 and 240.0.0.1 pass), an IPv6 one unicast and not
// link-local (ipv6_addr_type).
bool dest_address_acceptable(const IpAddress& a) {
  const auto& b = a.bytes;
  if (!a.is_v6()) {
    bool zero = b[0] == 0 && b[1] == 0 && b[2] == 0 && b[3] == 0;
    bool limited_broadcast = b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255;
    return !zero && !limited_broadcast && !a.is_multicast();
  }
  if (b[0] == 0xff) return false;                         // multicast
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return false;  // link-local
  bool first_eight_zero = std::all_of(b.begin(), b.begin() + 8, [](auto x) { return x == 0; });
  if (first_eight_zero) {
    bool third_zero = b[8] == 0 && b[9] == 0 && b[10] == 0 && b[11] == 0;
    bool last_zero = b[12] == 0 && b[13] == 0 && b[14] == 0 && b[15] == 0;
    if (third_zero && last_zero) return false;                                 // ::
    if (b[8] == 0 && b[9] == 0 && b[10] == 0xff && b[11] == 0xff) return false;  // v4-mapped
  }
  return true;
}

// What a listing shows: the backends derive the persistent flag from timeout_s and
// never report it, nor the kernel-internal hashed flag.
Service reported(const Service& s) {
  Service out = s;
  out.key = FakeIpvs::reported_key(s.key);
  out.flags &= ~(svc_flag::hashed | svc_flag::persistent);
  return out;
}


}  // namespace

ServiceKey FakeIpvs::reported_key(const ServiceKey& key) {
  if (!key.is_fwmark()) return key;
  ServiceKey out;
  out.family = key.family;
  out.fwmark = key.fwmark;
  return out;
}

FakeIpvs::FakeIpvs() = default;
FakeIpvs::FakeIpvs(Config config) : config_(std::move(config)) {}

FakeIpvs::Entry* FakeIpvs::find(const ServiceKey& key) {
  auto it = services_.find(reported_key(key));
  return it == services_.end() ? nullptr : &it->second;
}

// Every write is counted, as a kernel would have received it; an injected failure
// consumes the write and changes nothing.
Status FakeIpvs::check_write(const std::string& what) {
  ++writes_;
  if (injected_failure_) {
    int code = *injected_failure_;
    injected_failure_.reset();
    return fail(code, what, "injected failure");
  }
  return ok();
}

bool FakeIpvs::has_mixed_family_dests() const {
  for (const auto& [key, entry] : services_)
    for (const auto& d : entry.state.destinations)
      if (d.dest.family != key.family) return true;
  return false;
}

// ip_vs_genl_parse_service (policy, family) then ip_vs_add/edit_service checks that do
// not depend on the table.
Status FakeIpvs::check_service_fields(const Service& s, const std::string& what) const {
  if (s.scheduler.size() > kSchedNameMax)
    return fail(EINVAL, what, "scheduler name longer than " + std::to_string(kSchedNameMax));
  if (s.pe_name.size() > kPeNameMax)
    return fail(EINVAL, what, "persistence engine name longer than " + std::to_string(kPeNameMax));
  if (!family_valid(s.key.family)) return fail(EAFNOSUPPORT, what, "unknown address family");
  return ok();
}

// ip_vs_add/edit_service, after the table lookup: "none" means no scheduler at all.
Status FakeIpvs::check_service_settings(const Service& s, const std::string& what) const {
  if (s.scheduler != "none" && !config_.schedulers.count(s.scheduler))
    return fail(ENOENT, what, "no scheduler '" + s.scheduler + "' in the kernel (module ip_vs_" +
                                  s.scheduler + ")");
  if (!s.pe_name.empty() && !config_.persistence_engines.count(s.pe_name))
    return fail(ENOENT, what, "no persistence engine '" + s.pe_name + "' in the kernel");
  if (s.key.family == Family::inet6 && (s.netmask < 1 || s.netmask > 128))
    return fail(EINVAL, what, "an IPv6 persistence netmask is a prefix length 1..128");
  return ok();
}

// ip_vs_genl_set_cmd's family checks, then the range checks of ip_vs_add/edit_dest.
// A real's family is its address's: that is what travels to the kernel and comes back.
Status FakeIpvs::check_dest_fields(const Entry& svc, const Destination& d,
                                   const std::string& what) const {
  if (d.address.family != svc.state.service.key.family) {
    if (sync_running())
      return fail(EINVAL, what, "a real of another address family while a sync daemon runs");
    if (d.forward != Forward::tunnel)
      return fail(EINVAL, what, "a real of another address family needs tunnel forwarding");
  }
  if (d.weight > static_cast<std::uint32_t>(INT32_MAX))
    return fail(ERANGE, what, "weight above 2147483647");
  if (d.lower_threshold > d.upper_threshold)
    return fail(ERANGE, what, "lower threshold above the upper threshold");
  if (d.tunnel_type == TunnelType::gue && d.tunnel_port == 0)
    return fail(EINVAL, what, "a GUE tunnel needs a port");
  return ok();
}

Result<Info> FakeIpvs::info() { return Info{kVersionCode, config_.conn_table_size}; }

Result<std::vector<ServiceState>> FakeIpvs::list_services() {
  if (injected_read_failure_) {
    int code = *injected_read_failure_;
    injected_read_failure_.reset();
    return make_error(code, "list IPVS services: injected failure");
  }
  std::vector<ServiceState> out;
  out.reserve(services_.size());
  for (const auto& [key, entry] : services_) {
    ServiceState s = entry.state;
    s.service = reported(s.service);
    s.destinations.clear();
    out.push_back(std::move(s));
  }
  return out;
}

// Like the kernel's dump, a missing service yields an empty list, not an error.
Result<std::vector<DestinationState>> FakeIpvs::list_destinations(const ServiceKey& key) {
  if (!family_valid(key.family)) return make_error(EAFNOSUPPORT, "list reals of " + key.to_string());
  const Entry* e = find(key);
  if (!e) return std::vector<DestinationState>{};
  return e->state.destinations;
}

Result<Table> FakeIpvs::read_table() {
  ++table_reads_;
  if (injected_read_failure_) {
    int code = *injected_read_failure_;
    injected_read_failure_.reset();
    return make_error(code, "read the IPVS table: injected failure");
  }
  Table t;
  for (const auto& [key, entry] : services_) {
    ServiceState s = entry.state;
    s.service = reported(s.service);
    t.services.push_back(std::move(s));
  }
  return t;
}

Status FakeIpvs::add_service(const Service& s) {
  const std::string what = describe(AddService{s});
  if (auto w = check_write(what); !w) return w;
  if (auto c = check_service_fields(s, what); !c) return c;
  if (find(s.key)) return fail(EEXIST, what, "the service already exists");
  if (auto c = check_service_settings(s, what); !c) return c;
  Entry e;
  e.state.service = reported(s);
  services_.emplace(reported_key(s.key), std::move(e));
  return ok();
}

Status FakeIpvs::edit_service(const Service& s) {
  const std::string what = describe(EditService{s});
  if (auto w = check_write(what); !w) return w;
  if (auto c = check_service_fields(s, what); !c) return c;
  Entry* e = find(s.key);
  if (!e) return fail(ESRCH, what, "no such service");
  if (auto c = check_service_settings(s, what); !c) return c;
  e->state.service = reported(s);
  return ok();
}

Status FakeIpvs::delete_service(const ServiceKey& key) {
  const std::string what = describe(DeleteService{key});
  if (auto w = check_write(what); !w) return w;
  if (!family_valid(key.family)) return fail(EAFNOSUPPORT, what, "unknown address family");
  if (!find(key)) return fail(ESRCH, what, "no such service");
  services_.erase(reported_key(key));
  return ok();
}

Status FakeIpvs::add_destination(const ServiceKey& key, const Destination& d) {
  const std::string what = describe(AddDest{key, d});
  if (auto w = check_write(what); !w) return w;
  if (!family_valid(key.family)) return fail(EAFNOSUPPORT, what, "unknown address family");
  Entry* e = find(key);
  if (!e) return fail(ESRCH, what, "no such service");
  if (auto c = check_dest_fields(*e, d, what); !c) return c;
  auto& dests = e->state.destinations;
  auto same = [&](const DestinationState& x) { return key_of(x.dest) == key_of(d); };
  if (std::any_of(dests.begin(), dests.end(), same))
    return fail(EEXIST, what, "the real already exists");
  if (!dest_address_acceptable(d.address))
    return fail(EINVAL, what, "the real's address is not a unicast address");
  DestinationState st;
  st.dest = d;
  st.dest.family = d.address.family;
  dests.insert(dests.begin(), std::move(st));  // the kernel lists the newest first
  return ok();
}

Status FakeIpvs::edit_destination(const ServiceKey& key, const Destination& d) {
  const std::string what = describe(EditDest{key, d});
  if (auto w = check_write(what); !w) return w;
  if (!family_valid(key.family)) return fail(EAFNOSUPPORT, what, "unknown address family");
  Entry* e = find(key);
  if (!e) return fail(ESRCH, what, "no such service");
  if (auto c = check_dest_fields(*e, d, what); !c) return c;
  auto& dests = e->state.destinations;
  auto it = std::find_if(dests.begin(), dests.end(),
                         [&](const DestinationState& x) { return key_of(x.dest) == key_of(d); });
  if (it == dests.end()) return fail(ENOENT, what, "no such real");
  it->dest = d;
  it->dest.family = d.address.family;
  return ok();
}

Status FakeIpvs::delete_destination(const ServiceKey& key, const DestKey& d) {
  const std::string what = describe(DeleteDest{key, d});
  if (auto w = check_write(what); !w) return w;
  if (!family_valid(key.family)) return fail(EAFNOSUPPORT, what, "unknown address family");
  Entry* e = find(key);
  if (!e) return fail(ESRCH, what, "no such service");
  auto& dests = e->state.destinations;
  auto it = std::find_if(dests.begin(), dests.end(),
                         [&](const DestinationState& x) { return key_of(x.dest) == d; });
  if (it == dests.end()) return fail(ENOENT, what, "no such real");
  dests.erase(it);
  return ok();
}

ApplyResult FakeIpvs::apply(const std::vector<Operation>& ops) {
  ApplyResult r;
  r.applied.reserve(ops.size());
  for (std::size_t i = 0; i < ops.size(); ++i) {
    Status st = std::visit(
        overloaded{
            [&](const AddService& o) { return add_service(o.service); },
            [&](const EditService& o) { return edit_service(o.service); },
            [&](const DeleteService& o) { return delete_service(o.key); },
            [&](const AddDest& o) { return add_destination(o.service, o.dest); },
            [&](const EditDest& o) { return edit_destination(o.service, o.dest); },
            [&](const DeleteDest& o) { return delete_destination(o.service, o.dest); },
        },
        ops[i]);
    if (st && lost_ack_ && lost_ack_->which(ops[i])) {
      st = fail(lost_ack_->code, describe(ops[i]), "applied, but its acknowledgement was lost (injected)");
      lost_ack_.reset();
    }
    r.applied.push_back(st.ok());
    if (!st) {
      r.errors.push_back(st.error());
      r.failed_indices.push_back(i);
    }
  }
  return r;
}

Status FakeIpvs::flush() {
  if (auto w = check_write("flush the IPVS table"); !w) return w;
  services_.clear();
  return ok();
}

// Zeroing clears the counters, not the connection counts (ip_vs_zero_stats).
Status FakeIpvs::zero() {
  if (auto w = check_write("zero all counters"); !w) return w;
  for (auto& [key, entry] : services_) {
    entry.state.stats = {};
    for (auto& d : entry.state.destinations) d.stats = {};
  }
  return ok();
}

Status FakeIpvs::zero(const ServiceKey& key) {
  const std::string what = "zero the counters of " + key.to_string();
  if (auto w = check_write(what); !w) return w;
  if (!family_valid(key.family)) return fail(EAFNOSUPPORT, what, "unknown address family");
  Entry* e = find(key);
  if (!e) return fail(ESRCH, what, "no such service");
  e->state.stats = {};
  for (auto& d : e->state.destinations) d.stats = {};
  return ok();
}

Result<ConnectionTable> FakeIpvs::connections() {
  if (injected_read_failure_) {
    int code = *injected_read_failure_;
    injected_read_failure_.reset();
    return make_error(code, "read the IPVS connection table: injected failure");
  }
  return connections_;
}

Result<Timeouts> FakeIpvs::timeouts() { return timeouts_; }

// ip_vs_set_timeout: every value is checked before any is set; 0 leaves one unchanged.
Status FakeIpvs::set_timeouts(const Timeouts& t) {
  const std::string what = "set connection timeouts";
  if (auto w = check_write(what); !w) return w;
  if (t.tcp_s > kMaxTimeout || t.tcp_fin_s > kMaxTimeout || t.udp_s > kMaxTimeout)
    return fail(EINVAL, what, "a timeout above " + std::to_string(kMaxTimeout) + " s");
  if (t.tcp_s) timeouts_.tcp_s = t.tcp_s;
  if (t.tcp_fin_s) timeouts_.tcp_fin_s = t.tcp_fin_s;
  if (t.udp_s) timeouts_.udp_s = t.udp_s;
  return ok();
}

Result<std::vector<SyncDaemon>> FakeIpvs::sync_daemons() {
  std::vector<SyncDaemon> out;
  for (const auto& [state, d] : daemons_) out.push_back(d);  // master, then backup
  return out;
}

// ip_vs_genl_new_daemon + start_sync_thread, in the kernel's order of checks; the
// defaults it fills in are what a later listing reports.
Status FakeIpvs::start_sync_daemon(const SyncDaemon& d) {
  const std::string what = std::string("start the ") + to_string(d.state) + " sync daemon on " +
                           d.interface;
  if (auto w = check_write(what); !w) return w;
  if (d.interface.size() > kIfNameMax)
    return fail(EINVAL, what, "interface name longer than " + std::to_string(kIfNameMax));
  if (d.group && !d.group->is_multicast())
    return fail(EINVAL, what, "the sync group must be a multicast address");
  if (has_mixed_family_dests())
    return fail(EINVAL, what, "the sync protocol cannot carry reals of another address family");
  SyncDaemon c = d;
  if (!c.group) c.group = IpAddress::parse("224.0.0.81");
  if (!c.port) c.port = kSyncPort;
  if (!c.ttl) c.ttl = kSyncTtl;
  auto dev = config_.interfaces.find(d.interface);
  if (dev == config_.interfaces.end()) return fail(ENODEV, what, "no such interface");
  const bool backup = d.state == SyncState::backup;
  const std::uint32_t hlen = c.group->is_v6() ? 40 + 8 : 20 + 8;
  const std::uint32_t mtu = backup ? std::clamp<std::uint32_t>(dev->second, 1500, 65535) : 1500;
  const std::uint32_t min_len = backup ? 1024 : 1;
  c.max_len = static_cast<std::uint16_t>(
      c.max_len ? std::clamp<std::uint32_t>(c.max_len, min_len, 65535 - hlen) : mtu - hlen);
  if (d.state != SyncState::master && d.state != SyncState::backup)
    return fail(EINVAL, what, "unknown sync daemon state");
  if (daemons_.count(d.state)) return fail(EEXIST, what, "that sync daemon already runs");
  daemons_[d.state] = c;
  return ok();
}

Status FakeIpvs::stop_sync_daemon(SyncState state) {
  const std::string what = std::string("stop the ") + to_string(state) + " sync daemon";
  if (auto w = check_write(what); !w) return w;
  if (state != SyncState::master && state != SyncState::backup)
    return fail(EINVAL, what, "unknown sync daemon state");
  if (!daemons_.erase(state)) return fail(ESRCH, what, "that sync daemon does not run");
  return ok();
}

Status FakeIpvs::set_counters(const ServiceKey& key, const Stats& stats) {
  Entry* e = find(key);
  if (!e) return make_error(ESRCH, "set counters of " + key.to_string() + ": no such service");
  e->state.stats = stats;
  return ok();
}

Status FakeIpvs::set_counters(const ServiceKey& key, const DestKey& dest, const Stats& stats,
                              std::uint32_t active_conns, std::uint32_t inactive_conns,
                              std::uint32_t persistent_conns) {
  Entry* e = find(key);
  if (!e) return make_error(ESRCH, "set counters of " + key.to_string() + ": no such service");
  for (auto& d : e->state.destinations) {
    if (key_of(d.dest) != dest) continue;
    d.stats = stats;
    d.active_conns = active_conns;
    d.inactive_conns = inactive_conns;
    d.persistent_conns = persistent_conns;
    return ok();
  }
  return make_error(ENOENT, "set counters of a real of " + key.to_string() + ": no such real");
}

}  // namespace lvs::ipvs
