#pragma once
// The status document as `lvsctl status` prints it: the summary first, then the
// descriptor, sysctls, last reconcile, HA and the services shown.
#include <string>

#include "control/status.h"

namespace lvsctl {

// Above this many services, `lvsctl status` without filters shows only the services
// with something down or draining (`--all`: every one).
inline constexpr std::uint32_t kBriefOver = 200;

std::string status_text(const lvs::control::StatusReport& st);
// "summary: 3 services, 5 reals: 3 up, 2 down, 1 draining or drained"
std::string summary_line(const lvs::control::StatusSummary& s);

}  // namespace lvsctl
