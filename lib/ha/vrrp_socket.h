#pragma once
// The raw IP socket that carries VRRP (protocol 112) for one family on one interface:
// sends with TTL / hop limit 255 from the node's address, and receives with what the
// receiver's checks need (source, destination, TTL). Unicast peers or the VRRP
// multicast group (224.0.0.18 / ff02::12). Parsing is not done here (vrrp_packet.h).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"
#include "ha/vrrp_packet.h"
#include "net/ip_address.h"

namespace lvs::ha {

net::IpAddress vrrp_multicast_group(net::Family family);

struct SocketConfig {
  net::IpAddress source;   // our node's address: adverts are sent from it
  std::string interface;   // bound with SO_BINDTODEVICE; multicast joins here
  bool multicast = false;  // join the group (receive) and send to it
};

struct Datagram {
  std::vector<std::uint8_t> payload;  // the VRRP message and any trailer, no IP header
  Envelope envelope;
};

// How HaNode sends and receives: the raw socket below, or a fake wire in tests.
class PacketIo {
 public:
  virtual ~PacketIo() = default;
  virtual Status send(std::span<const std::uint8_t> payload, const net::IpAddress& destination) = 0;
  // One datagram, or nullopt when none is waiting.
  virtual Result<std::optional<Datagram>> receive() = 0;
  virtual int fd() const { return -1; }  // for the event loop; -1 when there is none
};

class VrrpSocket final : public PacketIo {
 public:
  static Result<VrrpSocket> open(const SocketConfig& config);
  VrrpSocket(VrrpSocket&& other) noexcept;
  VrrpSocket& operator=(VrrpSocket&& other) noexcept;
  VrrpSocket(const VrrpSocket&) = delete;
  VrrpSocket& operator=(const VrrpSocket&) = delete;
  ~VrrpSocket() override;

  int fd() const override { return fd_; }
  Status send(std::span<const std::uint8_t> payload, const net::IpAddress& destination) override;
  // One datagram, or nullopt when none is waiting (the socket is non-blocking). A
  // datagram too short to hold an IPv4 header is returned with an empty payload.
  Result<std::optional<Datagram>> receive() override;

 private:
  VrrpSocket(int fd, SocketConfig config) : fd_(fd), config_(std::move(config)) {}
  int fd_ = -1;
  SocketConfig config_;
};

}  // namespace lvs::ha
