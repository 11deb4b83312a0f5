#include "daemon/drains.h"

#include <algorithm>

#include "daemon/table_lookup.h"

namespace lvsd {

lvs::Status Drains::load() {
  auto loaded = load_admin_state(file_);
  if (!loaded) return loaded.error();
  state_ = std::move(*loaded);
  return lvs::ok();
}

std::string Drains::word(const std::string& service, const lvs::ipvs::DestKey& real) const {
  const DrainEntry* d = state_.find(service, real);
  if (!d) return "enabled";
  return d->drained_at ? "drained" : "draining";
}

bool Drains::any_draining() const {
  return std::any_of(state_.drains.begin(), state_.drains.end(), [](const DrainEntry& d) { return !d.drained_at; });
}

lvs::Result<std::size_t> Drains::set(const std::vector<DrainTarget>& targets, bool drain, std::int64_t now,
                                     std::uint32_t deadline_s) {
  AdminState next = state_;
  std::vector<std::string> changed;
  for (const auto& t : targets)
    if (drain ? next.drain(t.service, t.real, now, deadline_s) : next.enable(t.service, t.real))
      changed.push_back(endpoint(t.real) + " (" + t.service + ")");
  if (changed.empty()) return std::size_t{0};
  auto saved = save_admin_state(file_, next);
  if (!saved) return lvs::Error{saved.error().code, "admin state not saved, nothing changed: " + saved.error().message};
  state_ = std::move(next);
  for (const auto& what : changed) log_.notice(std::string("admin: ") + (drain ? "drain " : "enable ") + what);
  return changed.size();
}

bool Drains::update(std::int64_t now, const ConnectionsLeft& left_of) {
  bool changed = false;
  for (auto& d : state_.drains) {
    if (d.drained_at) continue;
    const auto left = left_of(d);
    if (!left) continue;
    const std::string who = endpoint(d.real) + " (" + d.service + ")";
    if (*left == 0) {
      d.drained_at = now;
      d.drained_note = "no connections left";
      log_.notice("admin: " + who + " drained: no connections left");
      changed = true;
    } else if (d.deadline_s != 0 && now - d.since >= static_cast<std::int64_t>(d.deadline_s)) {
      d.drained_at = now;
      d.drained_note = "deadline passed with " + std::to_string(*left) + " connection(s) left";
      log_.warning("admin: " + who + " drained: " + d.drained_note);
      changed = true;
    }
  }
  if (changed) save();
  return changed;
}

bool Drains::forget_unless(const std::function<bool(const DrainEntry&)>& keep) {
  const std::size_t before = state_.drains.size();
  std::erase_if(state_.drains, [&](const DrainEntry& d) { return !keep(d); });
  if (state_.drains.size() == before) return false;
  save();
  return true;
}

// Marking drained and forgetting removed pairs are safe to redo after a restart, so a
// failed save there is logged rather than undone.
void Drains::save() {
  auto saved = save_admin_state(file_, state_);
  if (!saved) log_.error("state: admin state not saved: " + saved.error().describe());
}

}  // namespace lvsd
