#pragma once
// Running a piece of code inside a named network namespace (/run/netns/NAME, as made by
// `ip netns add`). Only the calling thread switches, and only while `fn` runs: a netlink
// socket created inside stays bound to that namespace after the thread switches back.
#include <functional>
#include <string>

#include "common/result.h"

namespace lvs::ipvs {

// Enters namespace `name`, runs `fn`, returns to the thread's original namespace.
// Errors name the namespace. If returning fails the process aborts: carrying on in the
// wrong namespace could silently program the wrong IPVS table.
Status run_in_netns(const std::string& name, const std::function<Status()>& fn);

}  // namespace lvs::ipvs
