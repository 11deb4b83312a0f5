#pragma once
// NetlinkIpvs: the kernel's IPVS table through generic netlink family "IPVS"
// (libnl-3 / libnl-genl-3). Its two sockets (see Options::receive_slot) are opened in
// the caller's network namespace or in a named one.
//
// Writes are pipelined: apply() packs many requests into each sendmsg, every one with
// NLM_F_ACK and its own sequence number, and matches each ACK back to its operation.
// Reads take one service dump, then one destination dump per service, each a single
// sendmsg + recvmmsg.
//
// The connection table is the one thing not in generic netlink: connections() reads
// /proc/net/ip_vs_conn, entering the backend's network namespace for the read.
//
// Not thread-safe: one instance per thread (each has its own sockets).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ipvs/backend.h"

struct nl_sock;
struct nl_msg;
struct nlmsghdr;

namespace lvs::ipvs {

class NetlinkIpvs final : public IpvsBackend {
 public:
  struct Options {
    std::size_t window = 256;                 // write requests per sendmsg
    std::size_t max_batch_bytes = 64 * 1024;  // and at most this many bytes per sendmsg
    std::size_t dump_window = 1;              // destination dumps per sendmsg (see fetch_destinations)
    int receive_buffer = 32 * 1024 * 1024;    // SO_RCVBUF(FORCE) wanted for ACKs and dumps
    // Bytes per receive slot. The kernel sizes every dump reply to the largest receive
    // buffer the socket has used (up to 32 KiB): small replies make the per-service
    // destination dumps cheap, large ones the service dump. So there are two sockets:
    // `main` (writes, destination dumps, everything else) and `bulk` (the service dump).
    std::size_t receive_slot = 4096;
    std::size_t bulk_receive_slot = 64 * 1024;
    // Grace for replies after the receive queue runs dry; the kernel answers inside
    // sendmsg, so this only bounds the wait for an answer that will never come.
    int reply_timeout_ms = 1000;
  };

  // Opens a socket in the caller's network namespace.
  [[nodiscard]] static Result<std::unique_ptr<NetlinkIpvs>> open();
  [[nodiscard]] static Result<std::unique_ptr<NetlinkIpvs>> open(const Options& options);
  // Opens a socket in network namespace `name` (/run/netns/NAME); the calling thread
  // returns to its own namespace before this returns.
  [[nodiscard]] static Result<std::unique_ptr<NetlinkIpvs>> open_in_netns(const std::string& name);
  [[nodiscard]] static Result<std::unique_ptr<NetlinkIpvs>> open_in_netns(const std::string& name,
                                                                          const Options& options);

  ~NetlinkIpvs() override;
  NetlinkIpvs(const NetlinkIpvs&) = delete;
  NetlinkIpvs& operator=(const NetlinkIpvs&) = delete;

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

  // Write requests (anything that changes kernel state) sent since open: lets tools
  // prove that re-applying an unchanged table sends none.
  std::size_t writes_sent() const { return writes_sent_; }
  // sendmsg calls made since open (reads and writes): shows the pipelining at work.
  std::size_t sendmsg_calls() const { return sendmsg_calls_; }

 private:
  struct SocketDeleter {
    void operator()(nl_sock* s) const;
  };
  struct MsgDeleter {
    void operator()(nl_msg* m) const;
  };
  using SocketPtr = std::unique_ptr<nl_sock, SocketDeleter>;
  using MsgPtr = std::unique_ptr<nl_msg, MsgDeleter>;

  // Outcome of one request in an exchange: pending until an ACK, error or DONE.
  static constexpr int kPending = -1;
  using DataHandler = std::function<Status(std::size_t index, nlmsghdr* nlh)>;

  // A connected socket and the receive slot size its replies fit.
  struct Channel {
    SocketPtr sock;
    int fd = -1;
    std::size_t slot = 0;
  };

  NetlinkIpvs(Channel main, Channel bulk, int family, const Options& options, MsgPtr scratch);
  static Result<std::unique_ptr<NetlinkIpvs>> connect(const Options& options);
  static Result<Channel> open_channel(std::size_t slot, int receive_buffer, bool& forced);

  // Appends the request in scratch_ to the send buffer.
  void queue_scratch();
  // Sends the queued requests (sequence numbers first_seq..first_seq+count-1) in one
  // sendmsg, then receives until each is resolved. outcome[i] becomes 0 or an errno;
  // on_data sees every data message of a pending request. A transport failure (the
  // send itself failed) returns an error and leaves outcomes pending.
  Status exchange(Channel& ch, std::uint32_t first_seq, std::size_t count, std::vector<int>& outcome,
                  const DataHandler& on_data);
  // One request built by `build` (given the sequence number), sent and resolved.
  Status request(Channel& ch, const std::function<int(nl_msg*, std::uint32_t seq)>& build,
                 const std::string& what, const DataHandler& on_data, bool is_write);
  Status write(std::uint8_t cmd, const std::function<int(nl_msg*)>& attrs, const std::string& what);
  Status dump(Channel& ch, std::uint8_t cmd, const std::function<int(nl_msg*)>& attrs, const std::string& what,
              const DataHandler& on_data);
  Status fetch_destinations(std::vector<ServiceState>& services);
  Status single(const Operation& op);
  std::uint32_t next_seq(std::size_t count);

  std::string netns_;  // the namespace opened in (empty: the caller's), for /proc reads
  Channel main_;  // writes, destination dumps, config, daemons
  Channel bulk_;  // the service dump
  int family_ = 0;
  Options options_;
  MsgPtr scratch_;           // reused for every request we build
  std::vector<char> tx_;     // requests of the current sendmsg, back to back
  std::vector<char> rx_;     // receive slots for recvmmsg
  std::uint32_t seq_ = 1;
  std::size_t writes_sent_ = 0;
  std::size_t sendmsg_calls_ = 0;
};

}  // namespace lvs::ipvs
