#include "ipvs/ownership.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>

namespace lvs::ipvs {

namespace {

using nlohmann::json;

json key_to_json(const ServiceKey& k) {
  json j;
  j["family"] = k.family == Family::inet6 ? "inet6" : "inet";
  if (k.is_fwmark()) {
    j["fwmark"] = k.fwmark;
  } else {
    j["protocol"] = to_string(k.protocol);
    j["address"] = k.address.to_string();
    j["port"] = k.port;
  }
  return j;
}

std::optional<Protocol> protocol_from(const std::string& s) {
  if (s == "tcp") return Protocol::tcp;
  if (s == "udp") return Protocol::udp;
  if (s == "sctp") return Protocol::sctp;
  return std::nullopt;
}

std::optional<ServiceKey> key_from_json(const json& j) {
  if (!j.is_object()) return std::nullopt;
  ServiceKey k;
  auto fam = j.find("family");
  if (fam == j.end() || !fam->is_string()) return std::nullopt;
  if (*fam == "inet") k.family = Family::inet;
  else if (*fam == "inet6") k.family = Family::inet6;
  else return std::nullopt;
  auto mark = j.find("fwmark");
  if (mark != j.end()) {
    if (!mark->is_number_unsigned() || *mark == 0 || mark->get<std::uint64_t>() > 0xffffffffu)
      return std::nullopt;
    k.fwmark = mark->get<std::uint32_t>();
    k.address.family = k.family;
    return k;
  }
  auto proto = j.find("protocol");
  auto addr = j.find("address");
  auto port = j.find("port");
  if (proto == j.end() || addr == j.end() || port == j.end()) return std::nullopt;
  if (!proto->is_string() || !addr->is_string() || !port->is_number_unsigned()) return std::nullopt;
  auto p = protocol_from(proto->get<std::string>());
  auto a = net::IpAddress::parse(addr->get<std::string>());
  if (!p || !a || a->family != k.family || port->get<std::uint64_t>() > 65535) return std::nullopt;
  k.protocol = *p;
  k.address = *a;
  k.port = port->get<std::uint16_t>();
  return k;
}

Error sys_error(const std::string& what, const std::string& path) {
  return make_error(errno, what + " " + path);
}

std::string parent_dir(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status make_dirs(const std::string& dir) {
  if (dir.empty() || dir == "/" || dir == ".") return ok();
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return ok();
    return make_error(ENOTDIR, "state folder " + dir + " is not a folder");
  }
  auto up = make_dirs(parent_dir(dir));
  if (!up) return up;
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    return sys_error("cannot create state folder", dir);
  return ok();
}

Status write_all(int fd, const std::string& data, const std::string& path) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error("cannot write", path);
    }
    done += static_cast<std::size_t>(n);
  }
  return ok();
}

}  // namespace

std::string ownership_path(const std::string& state_dir, const std::string& netns) {
  std::string dir = state_dir.empty() ? kDefaultStateDir : state_dir;
  if (netns.empty()) return dir + "/owned.json";
  return dir + "/owned.netns-" + netns + ".json";
}

std::string to_json(const Ownership& owned) {
  json services = json::array();
  for (const auto& k : owned.services) services.push_back(key_to_json(k));
  json doc;
  doc["version"] = 1;
  doc["services"] = std::move(services);
  return doc.dump(2) + "\n";
}

Result<Ownership> ownership_from_json(std::string_view text, const std::string& origin) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object())
    return make_error(EINVAL, origin + ": not a valid ownership state file (JSON object expected)");
  auto v = doc.find("version");
  if (v == doc.end() || *v != 1)
    return make_error(EINVAL, origin + ": unsupported ownership state version");
  auto list = doc.find("services");
  if (list == doc.end() || !list->is_array())
    return make_error(EINVAL, origin + ": \"services\" must be an array");
  Ownership owned;
  std::size_t i = 0;
  for (const auto& item : *list) {
    auto key = key_from_json(item);
    if (!key)
      return make_error(EINVAL, origin + ": /services/" + std::to_string(i) +
                                    " is not a service key (family + fwmark, or family + protocol + address + port)");
    owned.services.insert(*key);
    ++i;
  }
  return owned;
}

Result<Ownership> load_ownership(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Ownership{};
    return sys_error("cannot read ownership state", path);
  }
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      Error e = sys_error("cannot read ownership state", path);
      ::close(fd);
      return e;
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return ownership_from_json(text, path);
}

Status save_ownership(const std::string& path, const Ownership& owned) {
  const std::string dir = parent_dir(path);
  auto made = make_dirs(dir);
  if (!made) return made;

  std::string tmp = path + ".tmp.XXXXXX";
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) return sys_error("cannot create temporary state file in", dir);
  auto fail = [&](Error e) -> Status {
    ::close(fd);
    ::unlink(tmp.c_str());
    return e;
  };
  if (::fchmod(fd, 0644) != 0) return fail(sys_error("cannot set mode of", tmp));
  auto w = write_all(fd, to_json(owned), tmp);
  if (!w) return fail(w.error());
  if (::fsync(fd) != 0) return fail(sys_error("cannot fsync", tmp));
  if (::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return sys_error("cannot close", tmp);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Error e = sys_error("cannot rename temporary state file onto", path);
    ::unlink(tmp.c_str());
    return e;
  }
  // Make the rename itself durable.
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return ok();
}

Result<OwnershipLock> OwnershipLock::try_acquire(const std::string& ownership_file) {
  auto made = make_dirs(parent_dir(ownership_file));
  if (!made) return made.error();
  const std::string path = ownership_file + ".lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return sys_error("cannot open lock file", path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int e = errno;
    ::close(fd);
    if (e == EWOULDBLOCK)
      return make_error(e, path + " is held by another process changing this IPVS table (lvsd, or another "
                               "lvsctl apply); with lvsd running, change the descriptor and use lvsctl reload");
    errno = e;
    return sys_error("cannot lock", path);
  }
  return OwnershipLock(fd);
}

OwnershipLock& OwnershipLock::operator=(OwnershipLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

OwnershipLock::~OwnershipLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
}

}  // namespace lvs::ipvs
