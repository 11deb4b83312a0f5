#pragma once
// The program's version (CMake project() VERSION) and the git revision it was built
// from ("unknown" outside a git checkout; "-dirty" with uncommitted changes). Defined in
// a source generated at every build (cmake/Version.cmake), linked by lvsd and lvsctl.
#include <string>
#include <string_view>

namespace lvs {

std::string_view version();
std::string_view revision();

// "lvsctl 0.1.0 (git 1a2b3c4d5e6f)": the line --version prints.
inline std::string version_line(std::string_view program) {
  return std::string(program) + " " + std::string(version()) + " (git " + std::string(revision()) + ")";
}

}  // namespace lvs
