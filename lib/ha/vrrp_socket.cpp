#include "ha/vrrp_socket.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ha/send_from.h"

namespace lvs::ha {
namespace {

Error sys_error(const std::string& what) { return make_error(errno, what); }

sockaddr_storage to_sockaddr(const net::IpAddress& a, socklen_t& len) {
  sockaddr_storage ss{};
  if (a.is_v6()) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    s6->sin6_family = AF_INET6;
    std::memcpy(&s6->sin6_addr, a.bytes.data(), 16);
    len = sizeof(sockaddr_in6);
  } else {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
    s4->sin_family = AF_INET;
    std::memcpy(&s4->sin_addr, a.bytes.data(), 4);
    len = sizeof(sockaddr_in);
  }
  return ss;
}

net::IpAddress from_bytes(net::Family family, const void* p) {
  net::IpAddress a;
  a.family = family;
  std::memcpy(a.bytes.data(), p, family == net::Family::inet6 ? 16 : 4);
  return a;
}

Status set_int(int fd, int level, int name, int value, const std::string& what) {
  if (::setsockopt(fd, level, name, &value, sizeof value) != 0) return sys_error(what);
  return ok();
}

}  // namespace

net::IpAddress vrrp_multicast_group(net::Family family) {
  return *net::IpAddress::parse(family == net::Family::inet6 ? "ff02::12" : "224.0.0.18");
}

Result<VrrpSocket> VrrpSocket::open(const SocketConfig& config) {
  const bool v6 = config.source.is_v6();
  const std::string what = " on the VRRP socket (" + config.interface + ", " + config.source.to_string() + ")";
  const int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, kVrrpProtocol);
  if (fd < 0) return sys_error("cannot open a raw IP socket for VRRP (protocol 112; needs CAP_NET_RAW)");
  VrrpSocket sock(fd, config);
  const unsigned ifindex = ::if_nametoindex(config.interface.c_str());
  if (ifindex == 0) return sys_error("no interface " + config.interface + " for VRRP");
  if (::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, config.interface.c_str(),
                   static_cast<socklen_t>(config.interface.size())) != 0)
    return sys_error("cannot bind to device" + what);
  // A raw socket bound to an address only receives datagrams sent to that address, so
  // in multicast mode it stays unbound and send() names the source in IP_PKTINFO.
  if (!config.multicast) {
    socklen_t len = 0;
    auto local = to_sockaddr(config.source, len);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&local), len) != 0)
      return sys_error("cannot bind to the node address" + what);
  }
  if (v6) {
    for (auto [name, value] : {std::pair{IPV6_UNICAST_HOPS, 255}, {IPV6_MULTICAST_HOPS, 255},
                               {IPV6_RECVHOPLIMIT, 1}, {IPV6_RECVPKTINFO, 1}, {IPV6_MULTICAST_LOOP, 0}})
      if (auto s = set_int(fd, IPPROTO_IPV6, name, value, "cannot set an IPv6 option" + what); !s) return s.error();
  } else {
    for (auto [name, value] : {std::pair{IP_TTL, 255}, {IP_MULTICAST_TTL, 255}, {IP_MULTICAST_LOOP, 0}})
      if (auto s = set_int(fd, IPPROTO_IP, name, value, "cannot set an IPv4 option" + what); !s) return s.error();
  }
  if (config.multicast) {
    const auto group = vrrp_multicast_group(config.source.family);
    if (v6) {
      ipv6_mreq m{};
      std::memcpy(&m.ipv6mr_multiaddr, group.bytes.data(), 16);
      m.ipv6mr_interface = ifindex;
      if (::setsockopt(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &m, sizeof m) != 0)
        return sys_error("cannot join ff02::12" + what);
      int idx = static_cast<int>(ifindex);
      if (auto s = set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, idx, "cannot set the multicast interface" + what); !s)
        return s.error();
    } else {
      ip_mreqn m{};
      std::memcpy(&m.imr_multiaddr, group.bytes.data(), 4);
      std::memcpy(&m.imr_address, config.source.bytes.data(), 4);
      m.imr_ifindex = static_cast<int>(ifindex);
      if (::setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m) != 0)
        return sys_error("cannot join 224.0.0.18" + what);
      if (::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof m) != 0)
        return sys_error("cannot set the multicast interface" + what);
    }
  }
  return sock;
}

VrrpSocket::VrrpSocket(VrrpSocket&& other) noexcept : fd_(other.fd_), config_(std::move(other.config_)) {
  other.fd_ = -1;
}

VrrpSocket& VrrpSocket::operator=(VrrpSocket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    config_ = std::move(other.config_);
    other.fd_ = -1;
  }
  return *this;
}

VrrpSocket::~VrrpSocket() {
  if (fd_ >= 0) ::close(fd_);
}

Status VrrpSocket::send(std::span<const std::uint8_t> payload, const net::IpAddress& destination) {
  socklen_t len = 0;
  auto to = to_sockaddr(destination, len);
  // The source must be the node's address: the checksum's pseudo-header and the peer's
  // checks are about it, and the kernel would otherwise pick one by route.
  const ssize_t n = send_from(fd_, payload, reinterpret_cast<sockaddr*>(&to), len, config_.source);
  if (n < 0) return sys_error("cannot send a VRRP advert to " + destination.to_string());
  return ok();
}

Result<std::optional<Datagram>> VrrpSocket::receive() {
  std::uint8_t buf[2048];
  alignas(cmsghdr) std::uint8_t control[256];
  sockaddr_storage from{};
  iovec iov{buf, sizeof buf};
  msghdr msg{};
  msg.msg_name = &from;
  msg.msg_namelen = sizeof from;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  const ssize_t n = ::recvmsg(fd_, &msg, MSG_DONTWAIT);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return std::optional<Datagram>{};
    return sys_error("cannot receive on the VRRP socket (" + config_.interface + ")");
  }
  Datagram d;
  const auto size = static_cast<std::size_t>(n);
  if (config_.source.is_v6()) {
    d.envelope.source = from_bytes(net::Family::inet6, &reinterpret_cast<sockaddr_in6*>(&from)->sin6_addr);
    d.envelope.destination.family = net::Family::inet6;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != IPPROTO_IPV6) continue;
      if (c->cmsg_type == IPV6_HOPLIMIT) std::memcpy(&d.envelope.ttl, CMSG_DATA(c), sizeof(int));
      if (c->cmsg_type == IPV6_PKTINFO) {
        in6_pktinfo info{};
        std::memcpy(&info, CMSG_DATA(c), sizeof info);
        d.envelope.destination = from_bytes(net::Family::inet6, &info.ipi6_addr);
      }
    }
    d.payload.assign(buf, buf + size);
    return std::optional<Datagram>(std::move(d));
  }
  // IPv4 raw sockets hand over the IP header: TTL and addresses come from it.
  if (size < sizeof(iphdr)) return std::optional<Datagram>(std::move(d));
  iphdr ip{};
  std::memcpy(&ip, buf, sizeof ip);
  const std::size_t header = static_cast<std::size_t>(ip.ihl) * 4;
  d.envelope.source = from_bytes(net::Family::inet, &ip.saddr);
  d.envelope.destination = from_bytes(net::Family::inet, &ip.daddr);
  d.envelope.ttl = ip.ttl;
  if (header < sizeof(iphdr) || header > size) return std::optional<Datagram>(std::move(d));
  d.payload.assign(buf + header, buf + size);
  return std::optional<Datagram>(std::move(d));
}

}  // namespace lvs::ha
