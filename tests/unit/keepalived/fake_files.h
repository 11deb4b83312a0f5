#pragma once
// In-memory files for the keepalived parser: include patterns match by fnmatch(3)
// against the stored paths, relative ones from the including file's folder.
#include <fnmatch.h>

#include <map>
#include <string>

#include "keepalived/config_tree.h"
#include "keepalived/convert.h"

namespace lvs::keepalived::test {

class FakeFiles : public FileSource {
 public:
  std::map<std::string, std::string> files;  // path -> text
  int calls = 0;

  Result<std::vector<SourceFile>> include(const std::string& pattern, const std::string& from) override {
    ++calls;
    std::string dir = from.find('/') == std::string::npos ? "." : from.substr(0, from.rfind('/'));
    std::string full = pattern.front() == '/' ? pattern : dir + "/" + pattern;
    for (std::size_t up; (up = full.find("/../")) != std::string::npos;) {  // "a/b/../c" -> "a/c"
      std::size_t parent = full.rfind('/', up - 1);
      full.erase(parent, up + 3 - parent);
    }
    std::vector<SourceFile> out;
    for (const auto& [path, text] : files)
      if (::fnmatch(full.c_str(), path.c_str(), FNM_PATHNAME) == 0) out.push_back(SourceFile{path, path, text});
    return out;
  }
};

inline ParseResult parse_text(const std::string& text, FileSource* files = nullptr, ParseOptions options = {}) {
  FakeFiles none;
  return parse_config(SourceFile{"/etc/keepalived/keepalived.conf", "/etc/keepalived/keepalived.conf", text},
                      files ? *files : none, options);
}

inline ImportResult import_text(const std::string& text, const ImportOptions& options = {}) {
  FakeFiles none;
  return import_keepalived(SourceFile{"k.conf", "k.conf", text}, none, {}, options);
}

// The warnings, one per line, for failure messages.
inline std::string dump(const ImportResult& r) {
  std::string out;
  for (const Note& n : r.warnings) out += n.to_string("warning") + "\n";
  if (r.error) out += r.error->to_string("error") + "\n";
  return out;
}

// A warning on `line` whose text holds `part`.
inline bool warned(const ImportResult& r, int line, const std::string& part) {
  for (const Note& n : r.warnings)
    if (n.where.line == line && n.message.find(part) != std::string::npos) return true;
  return false;
}

}  // namespace lvs::keepalived::test
