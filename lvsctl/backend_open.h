#pragma once
// Opening the kernel backend for a command: the caller's namespace or --netns NAME.
#include <memory>
#include <string>

#include "common/result.h"
#include "ipvs/netlink_ipvs.h"

namespace lvsctl {

[[nodiscard]] lvs::Result<std::unique_ptr<lvs::ipvs::NetlinkIpvs>> open_backend(const std::string& netns);

// "lvsctl: cannot open IPVS[ in network namespace NAME]: <error>\n".
std::string open_failure(const std::string& netns, const lvs::Error& error);

// Prints "lvsctl: <what>: <error>" to stderr.
void print_error(const std::string& what, const lvs::Error& error);

}  // namespace lvsctl
