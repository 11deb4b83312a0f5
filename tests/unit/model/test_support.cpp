#include "test_support.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace lvs::model::test {

std::string source_tree() {
  if (const char* env = std::getenv("LVS_SOURCE_DIR"); env && *env) return env;
  return LVS_SOURCE_TREE;
}
std::string examples_dir() { return source_tree() + "/schemas/examples"; }
std::string invalid_dir() { return source_tree() + "/tests/unit/model/invalid"; }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

std::vector<std::string> json_files_in(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".json") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string dump(const std::vector<Diagnostic>& diagnostics) {
  std::string out;
  for (const auto& d : diagnostics) out += d.to_string() + "\n";
  return out.empty() ? "(no diagnostics)\n" : out;
}


}  // namespace lvs::model::test
