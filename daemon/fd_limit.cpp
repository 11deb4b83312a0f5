#include "daemon/fd_limit.h"

#include <cerrno>

namespace lvsd {

lvs::Result<FdLimit> raise_fd_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return lvs::Error{errno, "cannot read RLIMIT_NOFILE"};
  if (rl.rlim_cur < rl.rlim_max) {
    rlimit raised{rl.rlim_max, rl.rlim_max};
    if (::setrlimit(RLIMIT_NOFILE, &raised) != 0)
      return lvs::Error{errno, "cannot raise RLIMIT_NOFILE from " + std::to_string(rl.rlim_cur) + " to " +
                                   std::to_string(rl.rlim_max)};
    rl = raised;
  }
  return FdLimit{rl.rlim_cur, rl.rlim_max};
}

std::optional<std::string> fd_limit_warning(std::size_t checks, std::size_t control_clients, const FdLimit& limit) {
  const std::size_t needed = fd_needed(checks, control_clients);
  if (limit.soft >= needed) return std::nullopt;
  return "file descriptors: the limit is " + std::to_string(limit.soft) + " (hard " + std::to_string(limit.hard) +
         ") but lvsd may need " + std::to_string(needed) + " (" + std::to_string(checks) + " checks + " +
         std::to_string(control_clients) + " control clients + " + std::to_string(kFdReserve) +
         " reserve); checks and lvsctl will fail when it runs out: raise LimitNOFILE= in the unit";
}

}  // namespace lvsd
