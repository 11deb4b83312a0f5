// RealFileSource: includes from the filesystem, as keepalived resolves them.
#include <glob.h>
#include <limits.h>
#include <stdlib.h>

#include <cerrno>
#include <memory>

#include "common/file_io.h"
#include "keepalived/config_tree.h"

namespace lvs::keepalived {
namespace {

constexpr std::size_t kMaxConfigBytes = 16 * kMiB;

std::string identity_of(const std::string& path) {
  char buf[PATH_MAX];
  return ::realpath(path.c_str(), buf) ? std::string(buf) : path;
}

}  // namespace

Result<SourceFile> RealFileSource::open(const std::string& path) {
  Result<std::string> text = read_file_capped(path, kMaxConfigBytes);
  if (!text) return text.error();
  return SourceFile{path, identity_of(path), std::move(*text)};
}

Result<std::vector<SourceFile>> RealFileSource::include(const std::string& pattern, const std::string& from) {
  // Relative to the including file's folder (keepalived changes into it while reading).
  std::string full = pattern.front() == '/' ? pattern : parent_dir(from) + "/" + pattern;
  glob_t g{};
  int rc = ::glob(full.c_str(), GLOB_BRACE | GLOB_TILDE, nullptr, &g);
  std::unique_ptr<glob_t, void (*)(glob_t*)> guard(&g, ::globfree);
  std::vector<SourceFile> files;
  if (rc == GLOB_NOMATCH) return files;
  if (rc != 0) return make_error(rc == GLOB_NOSPACE ? ENOMEM : EIO, "cannot expand " + full);
  for (std::size_t i = 0; i < g.gl_pathc; ++i) {
    Result<SourceFile> f = open(g.gl_pathv[i]);
    if (!f) return f.error();
    files.push_back(std::move(*f));
  }
  return files;
}

}  // namespace lvs::keepalived
