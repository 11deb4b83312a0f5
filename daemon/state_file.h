#pragma once
// The daemon's small-file reads (sysctl values, credentials files). The file layer itself
// (capped reads, atomic writes, state folders) lives once, in lib/common/file_io.h.
#include <cstddef>
#include <string>

#include "common/file_io.h"
#include "common/result.h"

namespace lvsd {

// Whole regular file of at most `max_bytes` (never blocks on a FIFO); ENOENT is returned
// as an error with code ENOENT so callers can tell "absent".
[[nodiscard]] inline lvs::Result<std::string> read_small_file(const std::string& path,
                                                              std::size_t max_bytes = 1 << 20) {
  return lvs::read_file_capped(path, max_bytes);
}

}  // namespace lvsd
