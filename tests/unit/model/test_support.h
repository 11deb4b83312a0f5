#pragma once
// Paths and small helpers shared by the model tests.
#include <string>
#include <vector>

#include "model/loader.h"

namespace lvs::model::test {

std::string source_tree();   // $LVS_SOURCE_DIR or the compiled-in source path
std::string examples_dir();  // schemas/examples
std::string invalid_dir();   // tests/unit/model/invalid
std::string read_file(const std::string& path);
std::vector<std::string> json_files_in(const std::string& dir);  // sorted full paths

// "mail.json:3:5: ..." lines, for failure messages.
std::string dump(const std::vector<Diagnostic>& diagnostics);

// A temporary directory removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace lvs::model::test
