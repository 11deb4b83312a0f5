// libFuzzer target for lvsctl import-keepalived: any text must parse and convert to a
// descriptor or give an error with a line, never crash, throw or read out of bounds.
// An include of anything reads the input again, so include loops and depth are fuzzed too.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "keepalived/convert.h"

namespace {

class Echo : public lvs::keepalived::FileSource {
 public:
  explicit Echo(std::string text) : text_(std::move(text)) {}
  lvs::Result<std::vector<lvs::keepalived::SourceFile>> include(const std::string& pattern, const std::string&) override {
    if (pattern.find("none") != std::string::npos) return std::vector<lvs::keepalived::SourceFile>{};
    return std::vector<lvs::keepalived::SourceFile>{{"included", "included:" + pattern.substr(0, 2), text_}};
  }

 private:
  std::string text_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  Echo files(text);
  lvs::keepalived::ParseOptions parse;
  parse.config_id = "main";
  lvs::keepalived::ImportResult r = lvs::keepalived::import_keepalived({"fuzz.conf", "fuzz.conf", text}, files, parse);
  if (r.ok()) {
    std::string json = r.descriptor.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (json.empty()) std::abort();
  } else if (r.error->where.line <= 0) {
    std::abort();  // every error names a line
  }
  return 0;
}
