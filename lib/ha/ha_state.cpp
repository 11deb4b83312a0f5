#include "ha/ha_state.h"

#include <cerrno>

#include <nlohmann/json.hpp>

#include "common/file_io.h"

namespace lvs::ha {
namespace {

constexpr int kVersion = 1;

Error bad(const std::string& origin, const std::string& pointer, const std::string& what) {
  return make_error(EINVAL, origin + ": " + pointer + ": " + what);
}

}  // namespace

std::string ha_state_path(const std::string& state_dir, const std::string& netns) {
  return state_dir + (netns.empty() ? "/ha.json" : "/ha.netns-" + netns + ".json");
}

std::string to_json(const PersistentHa& state) {
  nlohmann::json peers = nlohmann::json::array();
  for (const auto& [address, epoch] : state.peer_epochs)
    peers.push_back({{"address", address.to_string()}, {"epoch", epoch}});
  nlohmann::json j{{"version", kVersion}, {"epoch", state.epoch}, {"held", state.held}, {"peers", peers}};
  return j.dump(2) + "\n";
}

Result<PersistentHa> ha_state_from_json(std::string_view text, const std::string& origin) {
  auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return bad(origin, "/", "not a JSON object");
  auto field = [&](const char* name) -> const nlohmann::json* {
    auto it = doc.find(name);
    return it == doc.end() ? nullptr : &*it;
  };
  const auto* version = field("version");
  if (!version || !version->is_number_integer() || version->get<std::int64_t>() != kVersion)
    return bad(origin, "/version", "must be the number 1");
  PersistentHa s;
  auto epoch_of = [&](const nlohmann::json* j, const std::string& ptr) -> Result<std::uint32_t> {
    if (!j || !j->is_number_unsigned() || j->get<std::uint64_t>() > UINT32_MAX)
      return bad(origin, ptr, "must be a whole number 0..4294967295");
    return static_cast<std::uint32_t>(j->get<std::uint64_t>());
  };
  auto epoch = epoch_of(field("epoch"), "/epoch");
  if (!epoch) return epoch.error();
  s.epoch = *epoch;
  const auto* held = field("held");
  if (!held || !held->is_boolean()) return bad(origin, "/held", "must be true or false");
  s.held = held->get<bool>();
  const auto* peers = field("peers");
  if (!peers || !peers->is_array()) return bad(origin, "/peers", "must be an array");
  for (std::size_t i = 0; i < peers->size(); ++i) {
    const auto& p = (*peers)[i];
    const std::string ptr = "/peers/" + std::to_string(i);
    if (!p.is_object()) return bad(origin, ptr, "must be an object");
    auto a = p.find("address");
    std::optional<net::IpAddress> address;
    if (a != p.end() && a->is_string()) address = net::IpAddress::parse(a->get<std::string>());
    if (!address) return bad(origin, ptr + "/address", "must be an IP address");
    auto e = p.find("epoch");
    auto pe = epoch_of(e == p.end() ? nullptr : &*e, ptr + "/epoch");
    if (!pe) return pe.error();
    s.peer_epochs.emplace_back(*address, *pe);
  }
  return s;
}

Result<PersistentHa> load_ha_state(const std::string& path) {
  auto text = read_state_file(path, kMaxHaStateBytes);
  if (!text) {
    if (text.error().code == ENOENT) return PersistentHa{};
    return text.error();
  }
  return ha_state_from_json(*text, path);
}

Status save_ha_state(const std::string& path, const PersistentHa& state) {
  AtomicWriteOptions options;
  options.max_bytes = kMaxHaStateBytes;
  options.file_mode = 0600;
  return write_file_atomic(path, to_json(state), options);
}

}  // namespace lvs::ha
