#pragma once
// The one file layer: descriptor ownership, capped reads that never block (a FIFO or a
// device given as a file is refused, not waited on), and atomic replacement of state
// files in a folder only we can write to. Every part that reads or writes a file uses it.
#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "common/result.h"

namespace lvs {

// Owns one file descriptor; closes it on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

inline constexpr std::size_t kMiB = 1024 * 1024;

// "16 MiB" for whole mebibytes, else "1000 bytes".
std::string describe_size(std::size_t bytes);

// Reads a whole regular file of at most `max_bytes`. Opens with O_NONBLOCK and checks the
// type with fstat before reading, so a FIFO never blocks the caller. `name` is what
// messages call the file (default: the path). Error codes: the open's errno (ENOENT for
// a missing file, so callers can treat "absent" apart), EINVAL for "not a regular file",
// EFBIG for "larger than max_bytes", the read's errno.
[[nodiscard]] Result<std::string> read_file_capped(const std::string& path, std::size_t max_bytes,
                                                   const std::string& name = {});

// Writes all of `data` to `fd`, retrying short writes and EINTR.
[[nodiscard]] Status write_all(int fd, std::string_view data, const std::string& what);

// The folder part of a path ("." when there is none) and the last component.
std::string parent_dir(const std::string& path);
std::string base_name(const std::string& path);

// Opens the folder that holds state files, creating it (and missing parents) with
// `create_mode` when absent. An existing folder that another user could write to
// (group or world writable, or owned by someone other than us or root) is refused with
// EPERM: whoever can write there could swap our files for symlinks or forged content.
[[nodiscard]] Result<UniqueFd> open_private_dir(const std::string& dir, mode_t create_mode = 0750);
// The same checks without creating anything; ENOENT when the folder is missing.
[[nodiscard]] Status check_private_dir(const std::string& dir);

struct AtomicWriteOptions {
  // The cap the reader of this kind of file applies: a larger text is refused before
  // anything is written, so a saved file can always be loaded again.
  std::size_t max_bytes = 0;
  mode_t file_mode = 0644;
  mode_t create_dir_mode = 0750;
};

// Replaces `path` atomically: a crash leaves the old file or the new one, never half.
// The folder is opened with open_private_dir; the text goes to a temporary file with an
// unpredictable name created with O_EXCL|O_NOFOLLOW (so a planted symlink is never
// followed), is fsynced, renamed over `path` (which replaces a symlink there rather than
// following it) and the folder is fsynced. On any failure the old file is left intact
// and the temporary file removed.
[[nodiscard]] Status write_file_atomic(const std::string& path, std::string_view data,
                                       const AtomicWriteOptions& options);

// A state file kept by write_file_atomic: its folder must pass check_private_dir (a
// missing folder or file gives ENOENT), then it is read with read_file_capped.
[[nodiscard]] Result<std::string> read_state_file(const std::string& path, std::size_t max_bytes);

}  // namespace lvs
