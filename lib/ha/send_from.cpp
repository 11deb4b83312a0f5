#include "ha/send_from.h"

#include <netinet/in.h>

#include <cstring>

namespace lvs::ha {

ssize_t send_from(int fd, std::span<const std::uint8_t> payload, const sockaddr* to, socklen_t to_len,
                  const net::IpAddress& source, unsigned ifindex) {
  alignas(cmsghdr) std::uint8_t control[CMSG_SPACE(sizeof(in6_pktinfo))]{};
  iovec iov{const_cast<std::uint8_t*>(payload.data()), payload.size()};
  msghdr msg{};
  msg.msg_name = const_cast<sockaddr*>(to);
  msg.msg_namelen = to_len;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (source.is_v6()) {
    in6_pktinfo info{};
    std::memcpy(&info.ipi6_addr, source.bytes.data(), 16);
    info.ipi6_ifindex = ifindex;
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof info);
    std::memcpy(CMSG_DATA(c), &info, sizeof info);
    msg.msg_controllen = CMSG_SPACE(sizeof info);
  } else {
    in_pktinfo info{};
    std::memcpy(&info.ipi_spec_dst, source.bytes.data(), 4);
    info.ipi_ifindex = static_cast<int>(ifindex);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof info);
    std::memcpy(CMSG_DATA(c), &info, sizeof info);
    msg.msg_controllen = CMSG_SPACE(sizeof info);
  }
  return ::sendmsg(fd, &msg, 0);
}

}  // namespace lvs::ha
