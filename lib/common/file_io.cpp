#include "common/file_io.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>

namespace lvs {

namespace {

Error sys_error(const std::string& what) { return Error{errno, what}; }

std::string octal_mode(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// 16 hex digits from the kernel's random pool; the clock and pid only when that fails.
// O_EXCL makes a clash harmless either way: the name only has to be unguessable.
std::string random_suffix() {
  unsigned long long r = 0;
  if (::getrandom(&r, sizeof r, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof r)) {
    static std::atomic<unsigned> counter{0};
    auto t = static_cast<unsigned long long>(std::chrono::steady_clock::now().time_since_epoch().count());
    r = (t * 0x9E3779B97F4A7C15ull) ^ (static_cast<unsigned long long>(::getpid()) << 20) ^ ++counter;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", r);
  return buf;
}

Status check_dir_stat(const struct stat& st, const std::string& dir) {
  if (!S_ISDIR(st.st_mode)) return Error{ENOTDIR, "state folder " + dir + " is not a folder"};
  const uid_t me = ::geteuid();
  if (st.st_uid != me && st.st_uid != 0)
    return Error{EPERM, "state folder " + dir + " is owned by uid " + std::to_string(st.st_uid) + ", not by uid " +
                            std::to_string(me) + " or root; refusing to keep state there"};
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
    return Error{EPERM, "state folder " + dir + " has mode " + octal_mode(st.st_mode) +
                            ", writable by other users; refusing to keep state there (chmod go-w " + dir + ")"};
  return ok();
}

// mkdir -p with `mode` for each folder made.
Status make_dirs(const std::string& dir, mode_t mode) {
  if (dir.empty() || dir == "/" || dir == ".") return ok();
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return ok();
    return Error{ENOTDIR, "state folder " + dir + " is not a folder"};
  }
  if (errno != ENOENT) return sys_error("cannot look at state folder " + dir);
  auto up = make_dirs(parent_dir(dir), mode);
  if (!up) return up;
  if (::mkdir(dir.c_str(), mode) != 0 && errno != EEXIST) return sys_error("cannot create state folder " + dir);
  return ok();
}

}  // namespace

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

std::string describe_size(std::size_t bytes) {
  if (bytes >= kMiB && bytes % kMiB == 0) return std::to_string(bytes / kMiB) + " MiB";
  return std::to_string(bytes) + " bytes";
}

std::string parent_dir(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string base_name(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Result<std::string> read_file_capped(const std::string& path, std::size_t max_bytes, const std::string& name) {
  const std::string& shown = name.empty() ? path : name;
  // O_NONBLOCK: opening a FIFO without a writer would otherwise wait forever.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (!fd) return sys_error("cannot open " + shown);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return sys_error("cannot stat " + shown);
  if (!S_ISREG(st.st_mode)) return Error{EINVAL, shown + " is not a regular file"};
  const auto too_large = [&](const std::string& size) {
    return Error{EFBIG, shown + " is " + size + ", more than the limit of " + describe_size(max_bytes)};
  };
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes)
    return too_large(std::to_string(st.st_size) + " bytes");
  // Read at most one byte past the cap: the file may grow between fstat and read (and
  // /proc files report size 0). The buffer starts at the file's size, not at the cap.
  const std::size_t limit = max_bytes + 1;
  std::string text;
  text.resize(std::min(limit, std::max<std::size_t>(static_cast<std::size_t>(st.st_size) + 1, 512)));
  std::size_t got = 0;
  while (got < limit) {
    if (got == text.size()) text.resize(std::min(limit, text.size() * 2));
    ssize_t n = ::read(fd.get(), text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("cannot read " + shown);
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (got > max_bytes) return too_large("more than " + std::to_string(max_bytes) + " bytes");
  text.resize(got);
  return text;
}

Status write_all(int fd, std::string_view data, const std::string& what) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("cannot write " + what);
    if (n == 0) return Error{EIO, "cannot write " + what + ": no progress"};
    done += static_cast<std::size_t>(n);
  }
  return ok();
}

Status check_private_dir(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return sys_error("cannot look at state folder " + dir);
  return check_dir_stat(st, dir);
}

Result<UniqueFd> open_private_dir(const std::string& dir, mode_t create_mode) {
  auto made = make_dirs(dir, create_mode);
  if (!made) return made.error();
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return sys_error("cannot open state folder " + dir);
  // Checked on the open descriptor: the folder cannot be swapped after the check.
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return sys_error("cannot stat state folder " + dir);
  auto safe = check_dir_stat(st, dir);
  if (!safe) return safe.error();
  return fd;
}

Status write_file_atomic(const std::string& path, std::string_view data, const AtomicWriteOptions& options) {
  if (data.size() > options.max_bytes)
    return Error{EFBIG, "refusing to write " + path + ": it would be " + std::to_string(data.size()) +
                            " bytes, more than the limit of " + describe_size(options.max_bytes) +
                            " its reader accepts; the old file is unchanged"};
  auto dir = open_private_dir(parent_dir(path), options.create_dir_mode);
  if (!dir) return dir.error();
  const std::string base = base_name(path);
  if (base.empty() || base == "." || base == "..") return Error{EINVAL, "not a file name: " + path};

  std::string tmp;
  UniqueFd fd;
  for (int attempt = 0; attempt < 16 && !fd; ++attempt) {
    tmp = base + ".tmp." + random_suffix();
    fd.reset(::openat(dir->get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                      options.file_mode));
    if (!fd && errno != EEXIST) break;
  }
  const std::string shown_tmp = parent_dir(path) + "/" + tmp;
  if (!fd) return sys_error("cannot create a temporary file for " + path);
  auto fail = [&](Error e) -> Status {
    fd.reset();
    ::unlinkat(dir->get(), tmp.c_str(), 0);
    return e;
  };
  // The umask may have narrowed the mode; the file's readers expect exactly this one.
  if (::fchmod(fd.get(), options.file_mode) != 0) return fail(sys_error("cannot set the mode of " + shown_tmp));
  auto written = write_all(fd.get(), data, shown_tmp);
  if (!written) return fail(written.error());
  if (::fsync(fd.get()) != 0) return fail(sys_error("cannot fsync " + shown_tmp));
  if (::close(fd.release()) != 0) return fail(sys_error("cannot close " + shown_tmp));
  if (::renameat(dir->get(), tmp.c_str(), dir->get(), base.c_str()) != 0)
    return fail(sys_error("cannot rename " + shown_tmp + " onto " + path));
  // Without this the rename itself may be lost in a crash.
  if (::fsync(dir->get()) != 0) return sys_error("cannot fsync the folder of " + path);
  return ok();
}

Result<std::string> read_state_file(const std::string& path, std::size_t max_bytes) {
  auto safe = check_private_dir(parent_dir(path));
  if (!safe) return safe.error();
  return read_file_capped(path, max_bytes);
}

}  // namespace lvs
