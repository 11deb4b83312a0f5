#pragma once
// sendmsg() with the source address (and optionally the interface) named in
// IP_PKTINFO / IPV6_PKTINFO: VRRP adverts and neighbour adverts must leave from a given
// address, whatever the routing table would pick.
#include <sys/socket.h>

#include <cstdint>
#include <span>

#include "net/ip_address.h"

namespace lvs::ha {

// Returns sendmsg's result (-1 with errno set on failure).
ssize_t send_from(int fd, std::span<const std::uint8_t> payload, const sockaddr* to, socklen_t to_len,
                  const net::IpAddress& source, unsigned ifindex = 0);

}  // namespace lvs::ha
