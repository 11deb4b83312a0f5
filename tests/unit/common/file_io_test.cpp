// The file layer: capped reads that never block, atomic writes that never follow a
// planted symlink, and state folders nobody else can write to.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/file_io.h"
#include "support/temp_dir.h"

using lvs::testing::TempDir;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void put(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

std::size_t entries_in(const std::string& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st.st_mode;
}

lvs::AtomicWriteOptions cap(std::size_t bytes) { return lvs::AtomicWriteOptions{bytes, 0644, 0750}; }

}  // namespace

TEST_CASE("file io: a FIFO without a writer is refused at once, not waited on") {
  TempDir dir;
  const std::string fifo = dir.file("fifo");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  auto r = lvs::read_file_capped(fifo, 1024);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == EINVAL);
  CHECK(r.error().message == fifo + " is not a regular file");
}

TEST_CASE("file io: a read is capped, and a file of exactly the cap is read whole") {
  TempDir dir;
  put(dir.file("a"), std::string(100, 'x'));
  auto whole = lvs::read_file_capped(dir.file("a"), 100);
  REQUIRE(whole);
  CHECK(whole->size() == 100);
  auto over = lvs::read_file_capped(dir.file("a"), 99, "the thing");
  REQUIRE_FALSE(over);
  CHECK(over.error().code == EFBIG);
  CHECK(over.error().message == "the thing is 100 bytes, more than the limit of 99 bytes");
  auto missing = lvs::read_file_capped(dir.file("none"), 10);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ENOENT);
  CHECK(lvs::describe_size(16 * lvs::kMiB) == "16 MiB");
}

TEST_CASE("file io: a /proc file (size 0 in fstat) is read to its end") {
  auto r = lvs::read_file_capped("/proc/self/status", 1 << 20);
  REQUIRE(r);
  CHECK(r->find("Pid:") != std::string::npos);
}

TEST_CASE("file io: an atomic write replaces the file and leaves nothing else behind") {
  TempDir dir;
  const std::string path = dir.file("state.json");
  REQUIRE(lvs::write_file_atomic(path, "one", cap(10)));
  REQUIRE(lvs::write_file_atomic(path, "two", cap(10)));
  CHECK(slurp(path) == "two");
  CHECK((mode_of(path) & 07777) == 0644);
  CHECK(entries_in(dir.path()) == 1);
}

TEST_CASE("file io: a text above the reader's cap is refused and the old file kept") {
  TempDir dir;
  const std::string path = dir.file("state.json");
  REQUIRE(lvs::write_file_atomic(path, "old", cap(10)));
  auto r = lvs::write_file_atomic(path, std::string(11, 'x'), cap(10));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == EFBIG);
  CHECK(r.error().message.find(path) != std::string::npos);
  CHECK(r.error().message.find("more than the limit of 10 bytes") != std::string::npos);
  CHECK(slurp(path) == "old");
  CHECK(entries_in(dir.path()) == 1);
}

TEST_CASE("file io: a symlink at the target is replaced, never written through") {
  TempDir dir;
  const std::string victim = dir.file("victim");
  put(victim, "precious");
  const std::string path = dir.file("state.json");
  REQUIRE(::symlink(victim.c_str(), path.c_str()) == 0);
  REQUIRE(lvs::write_file_atomic(path, "new", cap(10)));
  CHECK(slurp(victim) == "precious");
  CHECK(S_ISREG(mode_of(path)));
  CHECK(slurp(path) == "new");
}

TEST_CASE("file io: a missing state folder is created private, parents included") {
  TempDir dir;
  const std::string path = dir.file("a/b/state.json");
  REQUIRE(lvs::write_file_atomic(path, "x", cap(10)));
  CHECK(slurp(path) == "x");
  mode_t mask = ::umask(0);
  ::umask(mask);
  CHECK((mode_of(dir.file("a/b")) & 0777) == (0750 & ~mask));
}

TEST_CASE("file io: a state folder others can write to is refused, nothing written") {
  TempDir dir;
  const std::string folder = dir.file("state");
  REQUIRE(::mkdir(folder.c_str(), 0700) == 0);
  for (mode_t bad : {mode_t{0770}, mode_t{0707}, mode_t{01777}}) {
    INFO("mode " << std::oct << bad);
    REQUIRE(::chmod(folder.c_str(), bad) == 0);
    auto r = lvs::write_file_atomic(folder + "/state.json", "x", cap(10));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == EPERM);
    CHECK(r.error().message.find("writable by other users") != std::string::npos);
    CHECK(entries_in(folder) == 0);
    auto read = lvs::read_state_file(folder + "/state.json", 10);
    REQUIRE_FALSE(read);
    CHECK(read.error().code == EPERM);
  }
}

TEST_CASE("file io: a symlink to a folder others can write to is refused like the folder") {
  TempDir dir;
  const std::string open_dir = dir.file("open");
  REQUIRE(::mkdir(open_dir.c_str(), 0700) == 0);
  REQUIRE(::chmod(open_dir.c_str(), 0777) == 0);
  REQUIRE(::symlink(open_dir.c_str(), dir.file("state").c_str()) == 0);
  auto r = lvs::write_file_atomic(dir.file("state/state.json"), "x", cap(10));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == EPERM);
  CHECK(entries_in(open_dir) == 0);
}

TEST_CASE("file io: a state folder owned by another user is refused") {
  if (::geteuid() != 0) {
    WARN("needs root to give a folder away; skipped");
    return;
  }
  TempDir dir;
  const std::string folder = dir.file("state");
  REQUIRE(::mkdir(folder.c_str(), 0700) == 0);
  REQUIRE(::chown(folder.c_str(), 4242, 4242) == 0);
  auto r = lvs::write_file_atomic(folder + "/state.json", "x", cap(10));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == EPERM);
  CHECK(r.error().message.find("owned by uid 4242") != std::string::npos);
  CHECK(entries_in(folder) == 0);
}

TEST_CASE("file io: a folder that cannot be made fails with errno and the path") {
  TempDir dir;
  put(dir.file("plain"), "a regular file where a folder should be");
  auto r = lvs::write_file_atomic(dir.file("plain/state.json"), "x", cap(10));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ENOTDIR);
  CHECK(r.error().message.find(dir.file("plain")) != std::string::npos);
}

TEST_CASE("file io: UniqueFd closes once and hands its descriptor over on move") {
  int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  REQUIRE(raw >= 0);
  {
    lvs::UniqueFd a(raw);
    lvs::UniqueFd b(std::move(a));
    CHECK_FALSE(a.valid());
    CHECK(b.get() == raw);
    lvs::UniqueFd c;
    c = std::move(b);
    CHECK(c.get() == raw);
    CHECK(::fcntl(raw, F_GETFD) >= 0);
  }
  CHECK(::fcntl(raw, F_GETFD) == -1);
  CHECK(errno == EBADF);
}
