#include "ipvs/netlink_ipvs.h"

#include <linux/ip_vs.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/socket.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/file_io.h"
#include "common/overloaded.h"
#include "ipvs/netlink_messages.h"
#include "ipvs/netns.h"

namespace lvs::ipvs {

namespace {

// recvmmsg slots. The kernel sizes each dump reply by the largest receive buffer the
// socket has seen (at most 32 KiB, at least about one page), so a reply always fits.
constexpr std::size_t kSlots = 16;
// A dump refused with EBUSY (another dump still running on this socket) is retried.
constexpr int kMaxDumpRetries = 1000;

const char* const kNoIpvs =
    "the kernel has no IPVS support (load it with `modprobe ip_vs`, or check CONFIG_IP_VS)";
const char* const kNeedsAdmin = "needs CAP_NET_ADMIN (run as root)";

bool is_permission(int err) { return err == EPERM || err == EACCES; }

// The operator's words for what went wrong with one operation, beyond strerror.
std::string hint(const Operation& op, int err) {
  if (is_permission(err)) return kNeedsAdmin;
  if (err == ENOBUFS)
    return "its acknowledgement was lost (netlink receive buffer overflow); re-read the table to "
           "learn whether it was applied";
  if (err == EINTR)
    return "the kernel sent no acknowledgement (its handler was interrupted); re-read the table to "
           "learn whether it was applied";
  return std::visit(
      overloaded{
          [&](const AddService& o) -> std::string {
            if (err == ENOENT)
              return "unknown scheduler '" + o.service.scheduler + "'" +
                     (o.service.pe_name.empty() ? "" : " or persistence engine '" + o.service.pe_name + "'") +
                     " (is module ip_vs_" + o.service.scheduler + " available?)";
            return {};
          },
          [&](const EditService& o) -> std::string {
            if (err == ESRCH) return "no such service";
            if (err == ENOENT) return "unknown scheduler '" + o.service.scheduler + "' or persistence engine";
            return {};
          },
          [&](const DeleteService&) -> std::string { return err == ESRCH ? "no such service" : ""; },
          [&](const AddDest&) -> std::string { return err == ESRCH ? "no such service" : ""; },
          [&](const EditDest&) -> std::string {
            if (err == ESRCH) return "no such service";
            if (err == ENOENT) return "no such real server in that service";
            return {};
          },
          [&](const DeleteDest&) -> std::string {
            if (err == ESRCH) return "no such service";
            if (err == ENOENT) return "no such real server in that service";
            return {};
          },
      },
      op);
}

Error operation_error(const Operation& op, int err) {
  std::string h = hint(op, err);
  return make_error(err, describe(op) + (h.empty() ? "" : ": " + h));
}

Error request_error(const std::string& what, int err) {
  if (is_permission(err)) return make_error(err, what + ": " + kNeedsAdmin);
  return make_error(err, what);
}

std::string sync_words(const SyncDaemon& d) {
  return std::string(to_string(d.state)) + " sync daemon on " + d.interface + " (sync id " +
         std::to_string(d.sync_id) + ")";
}

}  // namespace

void NetlinkIpvs::SocketDeleter::operator()(nl_sock* s) const { nl_socket_free(s); }
void NetlinkIpvs::MsgDeleter::operator()(nl_msg* m) const { nlmsg_free(m); }

NetlinkIpvs::NetlinkIpvs(Channel main, Channel bulk, int family, const Options& options, MsgPtr scratch)
    : main_(std::move(main)),
      bulk_(std::move(bulk)),
      family_(family),
      options_(options),
      scratch_(std::move(scratch)),
      rx_(std::max(main_.slot, bulk_.slot) * kSlots) {
  tx_.reserve(options_.max_batch_bytes + wire::kMessageSize);
}

NetlinkIpvs::~NetlinkIpvs() = default;

Result<std::unique_ptr<NetlinkIpvs>> NetlinkIpvs::open() { return open(Options{}); }

Result<std::unique_ptr<NetlinkIpvs>> NetlinkIpvs::open(const Options& options) { return connect(options); }

Result<std::unique_ptr<NetlinkIpvs>> NetlinkIpvs::open_in_netns(const std::string& name) {
  return open_in_netns(name, Options{});
}

Result<std::unique_ptr<NetlinkIpvs>> NetlinkIpvs::open_in_netns(const std::string& name,
                                                                const Options& options) {
  std::unique_ptr<NetlinkIpvs> made;
  Status s = run_in_netns(name, [&]() -> Status {
    auto r = connect(options);
    if (!r) return r.error();
    made = std::move(*r);
    return ok();
  });
  if (!s) return s.error();
  made->netns_ = name;
  return made;
}

// One connected socket whose replies fit `slot`-byte receive slots.
Result<NetlinkIpvs::Channel> NetlinkIpvs::open_channel(std::size_t slot, int receive_buffer, bool& forced) {
  Channel c;
  c.sock.reset(nl_socket_alloc());
  if (!c.sock) return make_error(ENOMEM, "cannot allocate a netlink socket");
  // libnl's own receive buffer (the family lookup) counts too: the kernel sizes dump
  // replies by the largest receive buffer the socket has used.
  if (nl_socket_set_msg_buf_size(c.sock.get(), std::min<std::size_t>(slot, 16384)) < 0)
    return make_error(ENOMEM, "cannot size the netlink receive buffer");
  if (int err = genl_connect(c.sock.get()); err < 0) {
    int e = errno != 0 ? errno : EIO;
    return make_error(e, std::string("cannot open a generic netlink socket (") + nl_geterror(err) + ")");
  }
  c.fd = nl_socket_get_fd(c.sock.get());
  c.slot = slot;
  // A large receive buffer keeps every ACK of a window. FORCE needs CAP_NET_ADMIN,
  // which IPVS needs anyway.
  forced = setsockopt(c.fd, SOL_SOCKET, SO_RCVBUFFORCE, &receive_buffer, sizeof receive_buffer) == 0;
  if (!forced) (void)setsockopt(c.fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  // Error ACKs then carry only the failed request's header, not the whole request.
  int one = 1;
  (void)setsockopt(c.fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  return c;
}

Result<std::unique_ptr<NetlinkIpvs>> NetlinkIpvs::connect(const Options& options) {
  Options opts = options;
  // A reply is at most one page-sized skb (NLMSG_GOODSIZE) or the slot size, whichever
  // is larger, so a slot of at least a page (8 KiB on large-page machines) always fits.
  const auto page = static_cast<std::size_t>(std::max(4096L, std::min(sysconf(_SC_PAGESIZE), 8192L)));
  opts.receive_slot = std::max(opts.receive_slot, page);
  opts.bulk_receive_slot = std::max(opts.bulk_receive_slot, page);
  opts.window = std::max<std::size_t>(opts.window, 1);
  opts.dump_window = std::max<std::size_t>(opts.dump_window, 1);
  opts.max_batch_bytes = std::max<std::size_t>(opts.max_batch_bytes, wire::kMessageSize);

  bool forced = false;
  auto main = open_channel(opts.receive_slot, opts.receive_buffer, forced);
  if (!main) return main.error();
  int family = genl_ctrl_resolve(main->sock.get(), IPVS_GENL_NAME);
  if (family == -NLE_OBJ_NOTFOUND) return make_error(EPROTONOSUPPORT, kNoIpvs);
  if (family < 0)
    return make_error(EIO, std::string("cannot look up the IPVS generic netlink family (") +
                               nl_geterror(family) + ")");
  if (!forced) {  // the default buffer holds fewer ACKs and pipelined dump replies
    opts.dump_window = std::min<std::size_t>(opts.dump_window, 4);
    opts.window = std::min<std::size_t>(opts.window, 128);
  }
  bool bulk_forced = false;
  auto bulk = open_channel(opts.bulk_receive_slot, opts.receive_buffer, bulk_forced);
  if (!bulk) return bulk.error();

  MsgPtr scratch(wire::new_message().release());
  if (!scratch) return make_error(ENOMEM, "cannot allocate a netlink message");
  return std::unique_ptr<NetlinkIpvs>(
      new NetlinkIpvs(std::move(*main), std::move(*bulk), family, opts, std::move(scratch)));
}

std::uint32_t NetlinkIpvs::next_seq(std::size_t count) {
  std::uint32_t first = seq_;
  seq_ += static_cast<std::uint32_t>(count);
  return first;
}

void NetlinkIpvs::queue_scratch() {
  const nlmsghdr* nlh = nlmsg_hdr(scratch_.get());
  const char* bytes = reinterpret_cast<const char*>(nlh);
  tx_.insert(tx_.end(), bytes, bytes + NLMSG_ALIGN(nlh->nlmsg_len));
}

Status NetlinkIpvs::exchange(Channel& ch, std::uint32_t first_seq, std::size_t count, std::vector<int>& outcome,
                             const DataHandler& on_data) {
  outcome.assign(count, kPending);
  for (;;) {
    ssize_t n = ::send(ch.fd, tx_.data(), tx_.size(), 0);
    if (n >= 0) break;
    if (errno == EINTR) continue;
    int e = errno;
    tx_.clear();
    return make_error(e, "cannot send to the kernel's IPVS");
  }
  ++sendmsg_calls_;
  tx_.clear();

  std::size_t pending = count;
  bool overflow = false;
  Status data_status = ok();
  mmsghdr msgs[kSlots];
  iovec iov[kSlots];
  for (std::size_t i = 0; i < kSlots; ++i) {
    iov[i] = {rx_.data() + i * ch.slot, ch.slot};
    msgs[i] = {};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }

  auto resolve = [&](std::size_t idx, int err) {
    outcome[idx] = err;
    --pending;
  };

  while (pending > 0) {
    // The kernel answers inside sendmsg (and continues dumps inside recvmsg), so what it
    // owes us is queued already: receive first, wait only when the queue is dry. A
    // request still unanswered then got no ACK: either dropped in an overflow (ENOBUFS),
    // or its handler returned -EINTR, which netlink_rcv_skb() never acknowledges (EINTR).
    int got = ::recvmmsg(ch.fd, msgs, kSlots, MSG_DONTWAIT, nullptr);
    if (got < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {  // the kernel dropped something it had for us
        overflow = true;
        continue;
      }
      if (errno != EAGAIN) return make_error(errno, "cannot receive the kernel's IPVS replies");
      pollfd p{ch.fd, POLLIN, 0};
      int pr = ::poll(&p, 1, overflow ? 0 : options_.reply_timeout_ms);
      if (pr < 0 && errno != EINTR) return make_error(errno, "cannot wait for the kernel's IPVS replies");
      if (pr == 0) {
        for (std::size_t i = 0; i < count; ++i)
          if (outcome[i] == kPending) resolve(i, overflow ? ENOBUFS : EINTR);
      }
      continue;
    }
    for (int m = 0; m < got; ++m) {
      if (msgs[m].msg_hdr.msg_flags & MSG_TRUNC)
        return make_error(EMSGSIZE, "a reply from the kernel's IPVS did not fit the receive buffer");
      auto* nlh = reinterpret_cast<nlmsghdr*>(rx_.data() + m * ch.slot);
      int len = static_cast<int>(msgs[m].msg_len);
      for (; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len)) {
        std::size_t idx = nlh->nlmsg_seq - first_seq;  // unsigned: wraps stay correct
        if (idx >= count || outcome[idx] != kPending) continue;  // stale (an abandoned request)
        if (nlh->nlmsg_type == NLMSG_ERROR) {
          if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) {
            resolve(idx, EPROTO);
            continue;
          }
          auto* e = static_cast<nlmsgerr*>(NLMSG_DATA(nlh));
          resolve(idx, -e->error);
        } else if (nlh->nlmsg_type == NLMSG_DONE) {
          int err = 0;
          if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(int))) std::memcpy(&err, NLMSG_DATA(nlh), sizeof err);
          resolve(idx, err < 0 ? -err : 0);
        } else if (nlh->nlmsg_type == NLMSG_NOOP || nlh->nlmsg_type == NLMSG_OVERRUN) {
          continue;
        } else if (on_data) {
          Status s = on_data(idx, nlh);
          if (!s && data_status.ok()) data_status = s;
        }
      }
    }
  }
  return data_status;
}

Status NetlinkIpvs::request(Channel& ch, const std::function<int(nl_msg*, std::uint32_t)>& build,
                            const std::string& what, const DataHandler& on_data, bool is_write) {
  for (int attempt = 0;; ++attempt) {
    wire::reset_message(scratch_.get());
    std::uint32_t seq = next_seq(1);
    if (build(scratch_.get(), seq) != 0) return make_error(EINVAL, what + ": the request is too large to encode");
    tx_.clear();
    queue_scratch();
    if (is_write) ++writes_sent_;
    std::vector<int> outcome;
    Status s = exchange(ch, seq, 1, outcome, on_data);
    if (!s) return make_error(s.error().code, what + ": " + s.error().message);
    // EBUSY on a read: a dump abandoned earlier still runs; receiving moved it along.
    if (!is_write && outcome[0] == EBUSY && attempt < kMaxDumpRetries) continue;
    if (outcome[0] != 0) return request_error(what, outcome[0]);
    return ok();
  }
}

Status NetlinkIpvs::write(std::uint8_t cmd, const std::function<int(nl_msg*)>& attrs, const std::string& what) {
  return request(main_,
      [&](nl_msg* msg, std::uint32_t seq) {
        int err = wire::put_header(msg, family_, cmd, NLM_F_ACK, seq);
        return err != 0 ? err : attrs(msg);
      },
      what, nullptr, true);
}

Status NetlinkIpvs::dump(Channel& ch, std::uint8_t cmd, const std::function<int(nl_msg*)>& attrs,
                         const std::string& what, const DataHandler& on_data) {
  return request(ch,
      [&](nl_msg* msg, std::uint32_t seq) {
        int err = wire::put_header(msg, family_, cmd, NLM_F_DUMP, seq);
        return err != 0 || !attrs ? err : attrs(msg);
      },
      what, on_data, false);
}

// ---- writes ------------------------------------------------------------------------

ApplyResult NetlinkIpvs::apply(const std::vector<Operation>& ops) {
  ApplyResult result;
  result.applied.assign(ops.size(), false);
  auto fail = [&](std::size_t idx, Error e) {
    result.errors.push_back(std::move(e));
    result.failed_indices.push_back(idx);
  };

  std::size_t window = options_.window;
  std::vector<int> outcome;
  std::size_t i = 0;
  while (i < ops.size()) {
    tx_.clear();
    const std::uint32_t first = seq_;
    std::size_t count = 0;
    bool unencodable = false;
    while (i + count < ops.size() && count < window) {
      wire::reset_message(scratch_.get());
      if (wire::build_operation(scratch_.get(), family_, ops[i + count], first + count) != 0) {
        unencodable = true;
        break;
      }
      if (count > 0 && tx_.size() + nlmsg_hdr(scratch_.get())->nlmsg_len > options_.max_batch_bytes) break;
      queue_scratch();
      ++count;
    }
    if (count == 0 && unencodable) {
      fail(i, make_error(EINVAL, describe(ops[i]) + ": the request is too large to encode"));
      ++i;
      continue;
    }
    seq_ += static_cast<std::uint32_t>(count);
    Status sent = exchange(main_, first, count, outcome, nullptr);
    if (!sent) {
      int e = sent.error().code;
      // The send itself failed, so the kernel saw none of this batch: a smaller one may
      // pass (EMSGSIZE: larger than the socket's send buffer).
      if ((e == ENOBUFS || e == ENOMEM || e == EMSGSIZE) && count > 1) {
        window = std::max<std::size_t>(1, count / 2);
        continue;
      }
      bool none_resolved =
          std::all_of(outcome.begin(), outcome.end(), [](int o) { return o == kPending; });
      if (none_resolved) {
        for (std::size_t k = 0; k < count; ++k)
          fail(i + k, make_error(e, describe(ops[i + k]) + ": " + sent.error().message));
        i += count;
        continue;
      }
      // Receiving failed midway: what was resolved stands, the rest is unknown.
      for (std::size_t k = 0; k < count; ++k)
        if (outcome[k] == kPending) outcome[k] = e;
    }
    writes_sent_ += count;
    bool lost = false;
    for (std::size_t k = 0; k < count; ++k) {
      if (outcome[k] == 0) {
        result.applied[i + k] = true;
      } else {
        lost = lost || outcome[k] == ENOBUFS;
        fail(i + k, operation_error(ops[i + k], outcome[k]));
      }
    }
    if (lost) window = std::max<std::size_t>(1, window / 2);
    i += count;
  }
  return result;
}

Status NetlinkIpvs::single(const Operation& op) {
  ApplyResult r = apply({op});
  if (r.ok()) return ok();
  return r.errors.front();
}

Status NetlinkIpvs::add_service(const Service& s) { return single(AddService{s}); }
Status NetlinkIpvs::edit_service(const Service& s) { return single(EditService{s}); }
Status NetlinkIpvs::delete_service(const ServiceKey& key) { return single(DeleteService{key}); }
Status NetlinkIpvs::add_destination(const ServiceKey& key, const Destination& d) { return single(AddDest{key, d}); }
Status NetlinkIpvs::edit_destination(const ServiceKey& key, const Destination& d) {
  return single(EditDest{key, d});
}
Status NetlinkIpvs::delete_destination(const ServiceKey& key, const DestKey& d) {
  return single(DeleteDest{key, d});
}

Status NetlinkIpvs::flush() {
  return write(IPVS_CMD_FLUSH, [](nl_msg*) { return 0; }, "flush the IPVS table");
}

Status NetlinkIpvs::zero() {
  return write(IPVS_CMD_ZERO, [](nl_msg*) { return 0; }, "zero all IPVS counters");
}

Status NetlinkIpvs::zero(const ServiceKey& key) {
  Status s = write(IPVS_CMD_ZERO, [&](nl_msg* m) { return wire::put_service_key(m, key); },
                   "zero the counters of " + key.to_string());
  if (!s && s.error().code == ESRCH) return make_error(ESRCH, s.error().message + ": no such service");
  return s;
}

Status NetlinkIpvs::set_timeouts(const Timeouts& t) {
  return write(IPVS_CMD_SET_CONFIG, [&](nl_msg* m) { return wire::put_timeouts(m, t); },
               "set timeouts (tcp " + std::to_string(t.tcp_s) + " s, tcpfin " + std::to_string(t.tcp_fin_s) +
                   " s, udp " + std::to_string(t.udp_s) + " s)");
}

Status NetlinkIpvs::start_sync_daemon(const SyncDaemon& d) {
  return write(IPVS_CMD_NEW_DAEMON, [&](nl_msg* m) { return wire::put_daemon(m, d); },
               "start the " + sync_words(d));
}

Status NetlinkIpvs::stop_sync_daemon(SyncState state) {
  Status s = write(IPVS_CMD_DEL_DAEMON, [&](nl_msg* m) { return wire::put_daemon_state(m, state); },
                   std::string("stop the ") + to_string(state) + " sync daemon");
  if (s || s.error().code != EINTR) return s;
  // kthread_stop() of a sync thread that had not run yet returns -EINTR, so the kernel
  // stopped the daemon but sent no ACK: the daemon list tells.
  auto daemons = sync_daemons();
  if (!daemons) return s;
  bool running = std::any_of(daemons->begin(), daemons->end(), [&](const SyncDaemon& d) { return d.state == state; });
  return running ? s : ok();
}

// ---- reads -------------------------------------------------------------------------

Result<Info> NetlinkIpvs::info() {
  Info info;
  bool seen = false;
  Status s = request(
      main_,
      [&](nl_msg* msg, std::uint32_t seq) { return wire::put_header(msg, family_, IPVS_CMD_GET_INFO, NLM_F_ACK, seq); },
      "read IPVS info",
      [&](std::size_t, nlmsghdr* nlh) -> Status {
        auto r = wire::parse_info_reply(nlh);
        if (!r) return r.error();
        info = *r;
        seen = true;
        return ok();
      },
      false);
  if (!s) return s.error();
  if (!seen) return make_error(EPROTO, "read IPVS info: the kernel sent no info");
  return info;
}

Result<ConnectionTable> NetlinkIpvs::connections() {
  // thread-self: run_in_netns switches only this thread, and /proc/self/net follows the
  // process's main thread.
  const char* path = "/proc/thread-self/net/ip_vs_conn";
  std::string text;
  auto read = [&]() -> Status {
    auto r = read_file_capped(path, kConnectionTableMaxBytes, "/proc/net/ip_vs_conn");
    if (!r) {
      if (r.error().code == ENOENT)
        return make_error(ENOENT, "no /proc/net/ip_vs_conn: IPVS is not loaded in this network namespace");
      return r.error();
    }
    text = std::move(*r);
    return ok();
  };
  Status s = netns_.empty() ? read() : run_in_netns(netns_, read);
  if (!s) return s.error();
  return parse_connection_table(text);
}

Result<Timeouts> NetlinkIpvs::timeouts() {
  Timeouts t;
  bool seen = false;
  Status s = request(
      main_,
      [&](nl_msg* msg, std::uint32_t seq) {
        return wire::put_header(msg, family_, IPVS_CMD_GET_CONFIG, NLM_F_ACK, seq);
      },
      "read IPVS timeouts",
      [&](std::size_t, nlmsghdr* nlh) -> Status {
        auto r = wire::parse_timeouts_reply(nlh);
        if (!r) return r.error();
        t = *r;
        seen = true;
        return ok();
      },
      false);
  if (!s) return s.error();
  if (!seen) return make_error(EPROTO, "read IPVS timeouts: the kernel sent none");
  return t;
}

Result<std::vector<SyncDaemon>> NetlinkIpvs::sync_daemons() {
  std::vector<SyncDaemon> out;
  Status s = dump(main_, IPVS_CMD_GET_DAEMON, nullptr, "list the IPVS sync daemons", [&](std::size_t, nlmsghdr* nlh) -> Status {
    auto r = wire::parse_daemon_reply(nlh);
    if (!r) return r.error();
    out.push_back(*r);
    return ok();
  });
  if (!s) return s.error();
  return out;
}

Result<std::vector<ServiceState>> NetlinkIpvs::list_services() {
  std::vector<ServiceState> out;
  // The bulk socket's large replies keep the kernel's service dump, which walks its
  // table from the start for every reply, from going quadratic in small steps.
  Status s = dump(bulk_, IPVS_CMD_GET_SERVICE, nullptr, "list the IPVS services", [&](std::size_t, nlmsghdr* nlh) -> Status {
    auto r = wire::parse_service_reply(nlh);
    if (!r) return r.error();
    out.push_back(std::move(*r));
    return ok();
  });
  if (!s) return s.error();
  return out;
}

Result<std::vector<DestinationState>> NetlinkIpvs::list_destinations(const ServiceKey& key) {
  std::vector<DestinationState> out;
  Status s = dump(
      main_, IPVS_CMD_GET_DEST, [&](nl_msg* m) { return wire::put_service_key(m, key); },
      "list the real servers of " + key.to_string(), [&](std::size_t, nlmsghdr* nlh) -> Status {
        auto r = wire::parse_dest_reply(nlh, key.family);
        if (!r) return r.error();
        out.push_back(std::move(*r));
        return ok();
      });
  if (!s) return s.error();
  return out;
}

Result<Table> NetlinkIpvs::read_table() {
  auto services = list_services();
  if (!services) return services.error();
  Table table;
  table.services = std::move(*services);
  Status s = fetch_destinations(table.services);
  if (!s) return s.error();
  return table;
}

// One GET_DEST dump per service, dump_window of them per sendmsg. The kernel runs one
// dump per socket at a time, and a dump that wrote anything stays running until a
// recvmsg lets it write NLMSG_DONE: a request that arrives meanwhile is refused with
// EBUSY and sent again. Hence dump_window defaults to 1 (one sendmsg and one recvmmsg
// per service); larger windows stay correct, only slower.
Status NetlinkIpvs::fetch_destinations(std::vector<ServiceState>& services) {
  std::vector<std::size_t> todo(services.size());
  for (std::size_t i = 0; i < todo.size(); ++i) todo[i] = i;
  std::size_t window = options_.dump_window;
  std::vector<int> outcome;
  for (int round = 0; !todo.empty(); ++round) {
    if (round > kMaxDumpRetries) return make_error(EBUSY, "list the real servers: the kernel kept refusing the dumps");
    std::vector<std::size_t> retry;
    for (std::size_t pos = 0; pos < todo.size();) {
      std::size_t count = std::min(window, todo.size() - pos);
      const std::uint32_t first = seq_;
      tx_.clear();
      for (std::size_t k = 0; k < count; ++k) {
        wire::reset_message(scratch_.get());
        const ServiceKey& key = services[todo[pos + k]].service.key;
        if (wire::put_header(scratch_.get(), family_, IPVS_CMD_GET_DEST, NLM_F_DUMP, first + k) != 0 ||
            wire::put_service_key(scratch_.get(), key) != 0)
          return make_error(EINVAL, "list the real servers of " + key.to_string() + ": cannot encode the request");
        queue_scratch();
      }
      seq_ += static_cast<std::uint32_t>(count);
      Status s = exchange(main_, first, count, outcome, [&](std::size_t k, nlmsghdr* nlh) -> Status {
        ServiceState& svc = services[todo[pos + k]];
        auto d = wire::parse_dest_reply(nlh, svc.service.key.family);
        if (!d) return d.error();
        svc.destinations.push_back(std::move(*d));
        return ok();
      });
      if (!s) return make_error(s.error().code, "list the real servers: " + s.error().message);
      bool shrink = false;
      for (std::size_t k = 0; k < count; ++k) {
        std::size_t idx = todo[pos + k];
        int o = outcome[k];
        if (o == 0) continue;
        if (o == EBUSY || o == ENOBUFS || o == EINTR) {
          services[idx].destinations.clear();
          retry.push_back(idx);
          shrink = shrink || o != EBUSY;
          continue;
        }
        return request_error("list the real servers of " + services[idx].service.key.to_string(), o);
      }
      if (shrink) window = std::max<std::size_t>(1, window / 2);
      pos += count;
    }
    todo = std::move(retry);
  }
  return ok();
}

}  // namespace lvs::ipvs
