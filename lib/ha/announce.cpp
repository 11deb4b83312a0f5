#include "ha/announce.h"

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "ha/send_from.h"

namespace lvs::ha {
namespace {

std::string describe(const VipAddress& vip) { return vip.address.address.to_string() + " on " + vip.interface; }

Result<std::array<std::uint8_t, 6>> mac_of(int fd, const std::string& interface) {
  ifreq req{};
  if (interface.size() >= sizeof req.ifr_name) return make_error(ENAMETOOLONG, "interface name " + interface);
  std::memcpy(req.ifr_name, interface.c_str(), interface.size());
  if (::ioctl(fd, SIOCGIFHWADDR, &req) != 0) return make_error(errno, "cannot read the MAC address of " + interface);
  std::array<std::uint8_t, 6> mac{};
  std::memcpy(mac.data(), req.ifr_hwaddr.sa_data, mac.size());
  return mac;
}

}  // namespace

KernelAnnouncer::~KernelAnnouncer() {
  if (packet_fd_ >= 0) ::close(packet_fd_);
  if (icmp6_fd_ >= 0) ::close(icmp6_fd_);
}

Status KernelAnnouncer::open() {
  if (packet_fd_ < 0) {
    packet_fd_ = ::socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ARP));
    if (packet_fd_ < 0) return make_error(errno, "cannot open a packet socket for gratuitous ARP (needs CAP_NET_RAW)");
  }
  if (icmp6_fd_ < 0) {
    icmp6_fd_ = ::socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
    if (icmp6_fd_ < 0) return make_error(errno, "cannot open an ICMPv6 socket for neighbour adverts (needs CAP_NET_RAW)");
  }
  const int hops = 255;  // RFC 4861: receivers drop NA with another hop limit
  if (::setsockopt(icmp6_fd_, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops) != 0)
    return make_error(errno, "cannot set the hop limit for neighbour adverts");
  return ok();
}

Status KernelAnnouncer::announce(const VipAddress& vip) {
  return vip.address.address.is_v6() ? neighbour_advert(vip) : arp(vip);
}

Status KernelAnnouncer::arp(const VipAddress& vip) {
  if (packet_fd_ < 0)
    if (auto s = open(); !s) return s;
  const unsigned ifindex = ::if_nametoindex(vip.interface.c_str());
  if (ifindex == 0) return make_error(errno, "no interface for gratuitous ARP of " + describe(vip));
  auto mac = mac_of(packet_fd_, vip.interface);
  if (!mac) return mac.error();
  // An ARP request for our own address (sender = target = VIP): the form every neighbour
  // uses to refresh an entry it already has, whatever its arp_accept says.
  std::array<std::uint8_t, 28> frame{};
  const std::uint8_t head[] = {0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01};  // Ethernet, IPv4, request
  std::memcpy(frame.data(), head, sizeof head);
  std::memcpy(frame.data() + 8, mac->data(), 6);
  std::memcpy(frame.data() + 14, vip.address.address.bytes.data(), 4);
  std::memcpy(frame.data() + 24, vip.address.address.bytes.data(), 4);  // target MAC stays 0
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_protocol = htons(ETH_P_ARP);
  to.sll_ifindex = static_cast<int>(ifindex);
  to.sll_halen = 6;
  std::memset(to.sll_addr, 0xff, 6);
  if (::sendto(packet_fd_, frame.data(), frame.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0)
    return make_error(errno, "cannot send gratuitous ARP for " + describe(vip));
  return ok();
}

Status KernelAnnouncer::neighbour_advert(const VipAddress& vip) {
  if (icmp6_fd_ < 0)
    if (auto s = open(); !s) return s;
  const unsigned ifindex = ::if_nametoindex(vip.interface.c_str());
  if (ifindex == 0) return make_error(errno, "no interface for the neighbour advert of " + describe(vip));
  auto mac = mac_of(icmp6_fd_, vip.interface);
  if (!mac) return mac.error();
  // Type 136, Override set, Solicited and Router clear; target = VIP; option 2: our MAC.
  std::array<std::uint8_t, 32> msg{};
  msg[0] = ND_NEIGHBOR_ADVERT;
  msg[4] = 0x20;  // O flag
  std::memcpy(msg.data() + 8, vip.address.address.bytes.data(), 16);
  msg[24] = ND_OPT_TARGET_LINKADDR;
  msg[25] = 1;  // length in units of 8 bytes
  std::memcpy(msg.data() + 26, mac->data(), 6);
  sockaddr_in6 to{};
  to.sin6_family = AF_INET6;
  inet_pton(AF_INET6, "ff02::1", &to.sin6_addr);
  to.sin6_scope_id = ifindex;
  // Sent from the VIP itself, on its interface (the kernel fills in the checksum).
  if (send_from(icmp6_fd_, msg, reinterpret_cast<sockaddr*>(&to), sizeof to, vip.address.address, ifindex) < 0)
    return make_error(errno, "cannot send a neighbour advert for " + describe(vip));
  return ok();
}

}  // namespace lvs::ha
