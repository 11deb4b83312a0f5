#include "ipvs/ownership.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "common/file_io.h"

namespace lvs::ipvs {

namespace {

using nlohmann::json;

std::optional<Protocol> protocol_from(const std::string& s) {
  if (s == "tcp") return Protocol::tcp;
  if (s == "udp") return Protocol::udp;
  if (s == "sctp") return Protocol::sctp;
  return std::nullopt;
}

// One /services item; `why` names the field that is missing or of the wrong type.
std::optional<ServiceKey> key_from_json(const json& j, std::string& why) {
  if (!j.is_object()) {
    why = " must be an object";
    return std::nullopt;
  }
  auto fail = [&](const char* field, const char* problem) {
    why = std::string("/") + field + " " + problem;
    return std::nullopt;
  };
  ServiceKey k;
  auto fam = j.find("family");
  if (fam == j.end()) return fail("family", "is missing");
  if (!fam->is_string()) return fail("family", "must be a string");
  if (*fam == "inet") k.family = Family::inet;
  else if (*fam == "inet6") k.family = Family::inet6;
  else return fail("family", "must be \"inet\" or \"inet6\"");
  auto mark = j.find("fwmark");
  if (mark != j.end()) {
    if (!mark->is_number_unsigned() || *mark == 0 || mark->get<std::uint64_t>() > 0xffffffffu)
      return fail("fwmark", "must be an integer from 1 to 4294967295");
    k.fwmark = mark->get<std::uint32_t>();
    k.address.family = k.family;
    return k;
  }
  auto proto = j.find("protocol");
  auto addr = j.find("address");
  auto port = j.find("port");
  if (proto == j.end()) return fail("protocol", "is missing (and there is no fwmark)");
  if (!proto->is_string()) return fail("protocol", "must be a string");
  auto p = protocol_from(proto->get<std::string>());
  if (!p) return fail("protocol", "must be tcp, udp or sctp");
  if (addr == j.end()) return fail("address", "is missing");
  if (!addr->is_string()) return fail("address", "must be a string");
  auto a = net::IpAddress::parse(addr->get<std::string>());
  if (!a || a->family != k.family) return fail("address", "is not an address of the given family");
  if (port == j.end()) return fail("port", "is missing");
  if (!port->is_number_unsigned() || port->get<std::uint64_t>() > 65535)
    return fail("port", "must be an integer from 0 to 65535");
  k.protocol = *p;
  k.address = *a;
  k.port = port->get<std::uint16_t>();
  return k;
}

}  // namespace

std::string ownership_path(const std::string& state_dir, const std::string& netns) {
  std::string dir = state_dir.empty() ? kDefaultStateDir : state_dir;
  if (netns.empty()) return dir + "/owned.json";
  return dir + "/owned.netns-" + netns + ".json";
}

std::string to_json(const Ownership& owned) {
  // Written by hand, as nlohmann's dump(2) of {"services": [...], "version": 1} writes it
  // (a test compares the two): building a json object per key made saving the record of
  // 10,000 services about 12,000 instructions per key. Every string here is a family,
  // a protocol or an address: nothing to escape.
  std::string out = "{\n  \"services\": [";
  out.reserve(owned.services.size() * 110 + 64);
  bool first = true;
  for (const auto& k : owned.services) {
    out += first ? "\n    {\n" : ",\n    {\n";
    first = false;
    const char* family = k.family == Family::inet6 ? "inet6" : "inet";
    if (k.is_fwmark()) {
      out += "      \"family\": \"" + std::string(family) + "\",\n      \"fwmark\": " + std::to_string(k.fwmark) + "\n";
    } else {
      out += "      \"address\": \"" + k.address.to_string() + "\",\n      \"family\": \"" + family +
             "\",\n      \"port\": " + std::to_string(k.port) + ",\n      \"protocol\": \"" +
             to_string(k.protocol) + "\"\n";
    }
    out += "    }";
  }
  out += first ? "],\n" : "\n  ],\n";
  out += "  \"version\": 1\n}\n";
  return out;
}

Result<Ownership> ownership_from_json(std::string_view text, const std::string& origin) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object())
    return make_error(EINVAL, origin + ": not a valid ownership state file (JSON object expected)");
  auto v = doc.find("version");
  if (v == doc.end() || !v->is_number_integer() || v->get<std::int64_t>() != 1)
    return make_error(EINVAL, origin + ": /version must be the integer 1 (the only ownership state version known)");
  auto list = doc.find("services");
  if (list == doc.end() || !list->is_array())
    return make_error(EINVAL, origin + ": /services must be an array");
  Ownership owned;
  std::size_t i = 0;
  for (const auto& item : *list) {
    std::string why;
    auto key = key_from_json(item, why);
    if (!key)
      return make_error(EINVAL, origin + ": /services/" + std::to_string(i) + why +
                                    " (a service key is family + fwmark, or family + protocol + address + port)");
    owned.services.insert(*key);
    ++i;
  }
  return owned;
}

Result<Ownership> load_ownership(const std::string& path) {
  auto text = read_state_file(path, kMaxOwnershipFileBytes);
  if (!text) {
    if (text.error().code == ENOENT) return Ownership{};
    return make_error(text.error().code, "cannot read ownership state: " + text.error().message);
  }
  return ownership_from_json(*text, path);
}

Status save_ownership(const std::string& path, const Ownership& owned) {
  return write_file_atomic(path, to_json(owned), AtomicWriteOptions{kMaxOwnershipFileBytes, 0644, 0750});
}

Result<OwnershipLock> OwnershipLock::try_acquire(const std::string& ownership_file) {
  auto dir = open_private_dir(parent_dir(ownership_file), 0750);
  if (!dir) return dir.error();
  const std::string path = ownership_file + ".lock";
  const std::string name = base_name(path);
  // O_NOFOLLOW: the lock file is created, never a file a symlink points at.
  UniqueFd fd(::openat(dir->get(), name.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd) return make_error(errno, "cannot open lock file " + path);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    int e = errno;
    if (e == EWOULDBLOCK)
      return make_error(e, path + " is held by another process changing this IPVS table (lvsd, or another "
                               "lvsctl apply); with lvsd running, change the descriptor and use lvsctl reload");
    return make_error(e, "cannot lock " + path);
  }
  return OwnershipLock(fd.release());
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
