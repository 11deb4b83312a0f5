#include "daemon/admin_state.h"

#include <algorithm>
#include <cerrno>
#include <limits>
#include <nlohmann/json.hpp>

#include "common/file_io.h"

namespace lvsd {

using lvs::ipvs::DestKey;

const DrainEntry* AdminState::find(const std::string& service, const DestKey& real) const {
  for (const auto& d : drains)
    if (d.service == service && d.real == real) return &d;
  return nullptr;
}

DrainEntry* AdminState::find(const std::string& service, const DestKey& real) {
  for (auto& d : drains)
    if (d.service == service && d.real == real) return &d;
  return nullptr;
}

bool AdminState::drain(const std::string& service, const DestKey& real, std::int64_t now, std::uint32_t deadline_s) {
  if (DrainEntry* d = find(service, real)) {
    // Draining again only changes the deadline; the drain keeps its start.
    if (d->deadline_s == deadline_s) return false;
    d->deadline_s = deadline_s;
    return true;
  }
  drains.push_back(DrainEntry{service, real, now, deadline_s, std::nullopt, {}});
  return true;
}

bool AdminState::enable(const std::string& service, const DestKey& real) {
  for (auto it = drains.begin(); it != drains.end(); ++it) {
    if (it->service == service && it->real == real) {
      drains.erase(it);
      return true;
    }
  }
  return false;
}

namespace {

bool before(const DrainEntry& d, const std::string& service, const DestKey& real) {
  if (int c = d.service.compare(service); c != 0) return c < 0;
  return d.real < real;
}

}  // namespace

DrainIndex::DrainIndex(const AdminState& state) {
  sorted_.reserve(state.drains.size());
  for (const auto& d : state.drains) sorted_.push_back(&d);
  // stable: of two entries for one pair, find() returns the first, as AdminState::find does.
  std::stable_sort(sorted_.begin(), sorted_.end(),
                   [](const DrainEntry* a, const DrainEntry* b) { return before(*a, b->service, b->real); });
}

const DrainEntry* DrainIndex::find(const std::string& service, const DestKey& real) const {
  auto it = std::lower_bound(sorted_.begin(), sorted_.end(), nullptr, [&](const DrainEntry* d, std::nullptr_t) {
    ++comparisons_;
    return before(*d, service, real);
  });
  if (it == sorted_.end() || (*it)->service != service || (*it)->real != real) return nullptr;
  return *it;
}

std::string admin_state_path(const std::string& state_dir, const std::string& netns) {
  std::string dir = state_dir.empty() ? "." : state_dir;
  if (dir.back() == '/') dir.pop_back();
  return netns.empty() ? dir + "/admin.json" : dir + "/admin.netns-" + netns + ".json";
}

std::string to_json(const AdminState& state) {
  nlohmann::ordered_json drains = nlohmann::ordered_json::array();
  for (const auto& d : state.drains) {
    nlohmann::ordered_json j{{"service", d.service},
                             {"address", d.real.address.to_string()},
                             {"port", d.real.port},
                             {"since", d.since},
                             {"deadline_s", d.deadline_s}};
    if (d.drained_at) j["drained_at"] = *d.drained_at;
    if (!d.drained_note.empty()) j["drained_note"] = d.drained_note;
    drains.push_back(std::move(j));
  }
  nlohmann::ordered_json doc{{"version", 1}, {"drains", std::move(drains)}};
  // replace: a stray invalid UTF-8 byte in a note must not throw out of a save.
  return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

namespace {

// Reads one admin.json entry; every field of the wrong type is an error naming it.
class EntryReader {
 public:
  EntryReader(const nlohmann::json& j, std::string where) : j_(j), where_(std::move(where)) {}

  const std::string& error() const { return error_; }

  const nlohmann::json* field(const char* name, bool required) {
    auto it = j_.find(name);
    if (it == j_.end()) {
      if (required) fail(name, "is missing");
      return nullptr;
    }
    return &*it;
  }
  std::optional<std::string> string(const char* name, bool required) {
    const nlohmann::json* v = field(name, required);
    if (!v) return std::nullopt;
    if (!v->is_string()) return fail(name, "must be a string");
    return v->get<std::string>();
  }
  // Integers in [lo, hi]; floats, strings and booleans are refused.
  std::optional<std::int64_t> integer(const char* name, bool required, std::int64_t lo, std::int64_t hi) {
    const nlohmann::json* v = field(name, required);
    if (!v) return std::nullopt;
    const bool any = lo == std::numeric_limits<std::int64_t>::min() && hi == std::numeric_limits<std::int64_t>::max();
    const std::string range = any ? "" : " from " + std::to_string(lo) + " to " + std::to_string(hi);
    if (v->is_number_unsigned()) {
      if (v->get<std::uint64_t>() > static_cast<std::uint64_t>(hi)) return fail(name, "must be an integer" + range);
      return static_cast<std::int64_t>(v->get<std::uint64_t>());
    }
    if (!v->is_number_integer() || v->get<std::int64_t>() < lo || v->get<std::int64_t>() > hi)
      return fail(name, "must be an integer" + range);
    return v->get<std::int64_t>();
  }
  // Keeps the first problem; converts to any empty optional.
  std::nullopt_t fail(const std::string& name, const std::string& why) {
    if (error_.empty()) error_ = where_ + "/" + name + " " + why;
    return std::nullopt;
  }

 private:
  const nlohmann::json& j_;
  std::string where_;
  std::string error_;
};

}  // namespace

lvs::Result<AdminState> admin_state_from_json(std::string_view text, const std::string& origin) {
  auto bad = [&](const std::string& why) { return lvs::Error{EINVAL, origin + ": " + why}; };
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return bad("not a JSON object");
  auto version = doc.find("version");
  if (version == doc.end() || !version->is_number_integer() || version->get<std::int64_t>() != 1)
    return bad("/version must be the integer 1 (the only version this lvsd knows)");
  auto list = doc.find("drains");
  if (list == doc.end() || !list->is_array()) return bad("/drains must be an array");
  AdminState state;
  state.drains.reserve(list->size());
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  for (std::size_t i = 0; i < list->size(); ++i) {
    const nlohmann::json& j = (*list)[i];
    const std::string where = "/drains/" + std::to_string(i);
    if (!j.is_object()) return bad(where + " must be an object");
    EntryReader r(j, where);
    DrainEntry d;
    auto service = r.string("service", true);
    auto address = r.string("address", true);
    auto port = r.integer("port", true, 0, 65535);
    auto since = r.integer("since", false, kMin, kMax);
    auto deadline = r.integer("deadline_s", false, 0, std::numeric_limits<std::uint32_t>::max());
    auto drained_at = r.integer("drained_at", false, kMin, kMax);
    auto note = r.string("drained_note", false);
    if (!r.error().empty()) return bad(r.error());
    auto addr = lvs::net::IpAddress::parse(*address);
    if (!addr) return bad(where + "/address is not an IP address: " + address->substr(0, 64));
    d.service = std::move(*service);
    d.real = DestKey{*addr, static_cast<std::uint16_t>(*port)};
    d.since = since.value_or(0);
    d.deadline_s = static_cast<std::uint32_t>(deadline.value_or(0));
    d.drained_at = drained_at;
    d.drained_note = note.value_or("");
    state.drains.push_back(std::move(d));
  }
  return state;
}

lvs::Result<AdminState> load_admin_state(const std::string& path) {
  auto text = lvs::read_state_file(path, kMaxAdminStateBytes);
  if (!text) {
    if (text.error().code == ENOENT) return AdminState{};
    return text.error();
  }
  return admin_state_from_json(*text, path);
}

lvs::Status save_admin_state(const std::string& path, const AdminState& state) {
  return lvs::write_file_atomic(path, to_json(state), lvs::AtomicWriteOptions{kMaxAdminStateBytes, 0644, 0750});
}

}  // namespace lvsd
