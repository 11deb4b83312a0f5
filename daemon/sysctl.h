#pragma once
// The IPVS sysctls that decide how a weight-0 real behaves (net.ipv4.vs.*), set from the
// descriptor's `ipvs` section. Access goes through an interface so unit tests never
// touch /proc.
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "model/cluster.h"

namespace lvsd {

class SysctlAccess {
 public:
  virtual ~SysctlAccess() = default;
  // `name` is the leaf under net/ipv4/vs, e.g. "expire_nodest_conn".
  virtual lvs::Result<std::string> read(const std::string& name) = 0;
  virtual lvs::Status write(const std::string& name, const std::string& value) = 0;
};

// /proc/sys/net/ipv4/vs/NAME, read and written from inside network namespace `netns`
// (empty: the caller's): /proc/sys/net shows the namespace of the thread that opens it.
class ProcSysctl final : public SysctlAccess {
 public:
  explicit ProcSysctl(std::string netns) : netns_(std::move(netns)) {}
  lvs::Result<std::string> read(const std::string& name) override;
  lvs::Status write(const std::string& name, const std::string& value) override;

 private:
  std::string netns_;
};

struct SysctlSetting {
  std::string name;
  int wanted = 0;
  std::optional<int> current;  // as read back; none when it could not be read
  bool written = false;        // it differed and was written
  std::string error;           // empty when fine
  bool operator==(const SysctlSetting&) const = default;
};

// The three settings the descriptor controls, with their wanted values.
std::vector<SysctlSetting> wanted_sysctls(const lvs::model::IpvsSettings& settings);

// Reads each setting, writes it only when it differs, reads it back.
std::vector<SysctlSetting> apply_sysctls(SysctlAccess& access, std::vector<SysctlSetting> settings);

}  // namespace lvsd
