#pragma once
// Small state files written atomically: a crash leaves the old file or the new one,
// never half of one.
#include <string>

#include "common/result.h"

namespace lvsd {

// Writes `text` to a temporary file next to `path`, fsyncs it, renames it over `path`
// and fsyncs the folder. Creates the folder (0755) when missing.
[[nodiscard]] lvs::Status write_file_atomic(const std::string& path, const std::string& text);
// Whole file; ENOENT is returned as an error with code ENOENT so callers can tell "absent".
[[nodiscard]] lvs::Result<std::string> read_small_file(const std::string& path, std::size_t max_bytes = 1 << 20);

}  // namespace lvsd
