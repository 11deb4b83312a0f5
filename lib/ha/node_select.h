#pragma once
// Which node of the descriptor this balancer is: the one named by --node, or else the
// one whose address is configured on this host. None or several matching is an error
// that says what was looked for; lvsd never guesses.
#include <string>
#include <vector>

#include "common/result.h"
#include "model/cluster.h"
#include "net/ip_address.h"

namespace lvs::ha {

// `local` is every address configured on this host (in lvsd's network namespace).
[[nodiscard]] Result<model::Node> select_node(const std::vector<model::Node>& nodes, const std::string& name,
                                              const std::vector<net::IpAddress>& local);

// This host's addresses (getifaddrs), in the calling thread's network namespace.
[[nodiscard]] Result<std::vector<net::IpAddress>> local_addresses();

}  // namespace lvs::ha
