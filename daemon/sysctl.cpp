#include "daemon/sysctl.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "daemon/state_file.h"
#include "ipvs/netns.h"

namespace lvsd {

namespace {

const std::string kBase = "/proc/sys/net/ipv4/vs/";

lvs::Status in_netns(const std::string& netns, const std::function<lvs::Status()>& fn) {
  if (netns.empty()) return fn();
  return lvs::ipvs::run_in_netns(netns, fn);
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  return s;
}

}  // namespace

lvs::Result<std::string> ProcSysctl::read(const std::string& name) {
  std::string value;
  auto st = in_netns(netns_, [&]() -> lvs::Status {
    auto text = read_small_file(kBase + name, 4096);
    if (!text) return text.error();
    value = trim(*text);
    return lvs::ok();
  });
  if (!st) return st.error();
  return value;
}

lvs::Status ProcSysctl::write(const std::string& name, const std::string& value) {
  return in_netns(netns_, [&]() -> lvs::Status {
    const std::string path = kBase + name;
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return lvs::Error{errno, "cannot open " + path};
    const std::string line = value + "\n";
    ssize_t n = ::write(fd, line.data(), line.size());
    int err = errno;
    ::close(fd);
    if (n != static_cast<ssize_t>(line.size())) return lvs::Error{n < 0 ? err : EIO, "cannot write " + path};
    return lvs::ok();
  });
}

std::vector<SysctlSetting> wanted_sysctls(const lvs::model::IpvsSettings& s) {
  return {
      {"expire_quiescent_template", s.expire_quiescent_template ? 1 : 0, {}, false, {}},
      {"expire_nodest_conn", s.expire_nodest_conn ? 1 : 0, {}, false, {}},
      {"conn_reuse_mode", static_cast<int>(s.conn_reuse_mode), {}, false, {}},
  };
}

std::vector<SysctlSetting> apply_sysctls(SysctlAccess& access, std::vector<SysctlSetting> settings) {
  for (auto& s : settings) {
    auto read = access.read(s.name);
    if (!read) {
      s.error = read.error().describe();
      continue;
    }
    try {
      s.current = std::stoi(*read);
    } catch (...) {
      s.error = "unexpected value '" + *read + "'";
      continue;
    }
    if (*s.current == s.wanted) continue;
    auto w = access.write(s.name, std::to_string(s.wanted));
    if (!w) {
      s.error = w.error().describe();
      continue;
    }
    s.written = true;
    auto again = access.read(s.name);
    if (again) {
      try {
        s.current = std::stoi(*again);
      } catch (...) {
        s.current.reset();
      }
    }
    if (s.current != s.wanted) s.error = "the kernel kept " + (again ? *again : std::string("?"));
  }
  return settings;
}

}  // namespace lvsd
