#include "ipvs/netns.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "common/file_io.h"

namespace lvs::ipvs {

Status run_in_netns(const std::string& name, const std::function<Status()>& fn) {
  const std::string where = "network namespace '" + name + "'";
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
    return make_error(EINVAL, where + ": not a valid namespace name");

  UniqueFd original(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (original.get() < 0)
    return make_error(errno, "cannot remember the current network namespace (/proc/thread-self/ns/net)");

  const std::string path = "/run/netns/" + name;
  UniqueFd target(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (target.get() < 0) {
    int e = errno;
    if (e == ENOENT) return make_error(e, where + " does not exist (" + path + "; create it with `ip netns add " + name + "`)");
    return make_error(e, "cannot open " + where + " (" + path + ")");
  }
  if (::setns(target.get(), CLONE_NEWNET) != 0) {
    int e = errno;
    if (e == EPERM) return make_error(e, "entering " + where + " needs CAP_SYS_ADMIN (run as root)");
    return make_error(e, "cannot enter " + where);
  }

  Status result = [&] {
    // Returns on every path out of fn, exceptions included.
    struct Restore {
      int fd;
      const std::string& where;
      ~Restore() {
        if (::setns(fd, CLONE_NEWNET) != 0) {
          std::fprintf(stderr, "fatal: cannot return from %s to the original network namespace (errno %d)\n",
                       where.c_str(), errno);
          std::abort();
        }
      }
    } restore{original.get(), where};
    return fn();
  }();
  if (!result.ok()) return make_error(result.error().code, "in " + where + ": " + result.error().message);
  return result;
}

}  // namespace lvs::ipvs
