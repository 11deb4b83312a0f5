#include "support/temp_dir.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace lvs::testing {

TempDir::TempDir() {
  std::string templ = std::filesystem::temp_directory_path().string() + "/lvs-test-XXXXXX";
  if (!::mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void write_file(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::trunc) << text; }

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string source_file(const std::string& relative) {
  const char* root = std::getenv("LVS_SOURCE_DIR");
  return root ? read_file(std::string(root) + "/" + relative) : std::string();
}

}  // namespace lvs::testing
