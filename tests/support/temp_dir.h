#pragma once
// A temporary folder removed with everything in it, and small file helpers for tests.
#include <string>

namespace lvs::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Replaces the file's content.
void write_file(const std::string& path, const std::string& text);
// The whole file; empty when it cannot be read.
std::string read_file(const std::string& path);
// A file of the source tree (LVS_SOURCE_DIR, which ctest sets), e.g. "daemon/README.md";
// empty when it cannot be read.
std::string source_file(const std::string& relative);

}  // namespace lvs::testing
