#pragma once
// This host's addresses, so lvsd can pick its node (model::find_local_node) when --node
// is not given.
#include <vector>

#include "common/result.h"
#include "net/ip_address.h"

namespace lvs::ha {

// Every address configured on this host (getifaddrs), in the calling thread's network
// namespace.
[[nodiscard]] Result<std::vector<net::IpAddress>> local_addresses();

}  // namespace lvs::ha
