#include "health/registry.h"

#include <algorithm>
#include <functional>
#include <vector>

namespace lvs::health {

std::size_t CheckKeyHash::operator()(const CheckKey& k) const {
  std::size_t h = hash_value(k.probe);
  auto mix = [&h](std::size_t v) { h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2); };
  mix(static_cast<std::size_t>(k.tracking.interval.count()));
  mix(std::hash<double>{}(k.tracking.jitter));
  mix(static_cast<std::size_t>(k.tracking.rise));
  mix(static_cast<std::size_t>(k.tracking.fall));
  mix(static_cast<std::size_t>(k.tracking.initial));
  return h;
}

CheckRegistry::CheckRegistry(const Clock& clock, Random& random, ProbeRunner& runner, ProbeFactory factory,
                             ShortageListener shortage_listener)
    : clock_(clock),
      random_(random),
      runner_(runner),
      factory_(std::move(factory)),
      shortage_listener_(std::move(shortage_listener)) {}

CheckRegistry::~CheckRegistry() {
  for (auto& [key, check] : checks_)
    if (check->running) runner_.cancel(*check->running);
}

SubscriptionId CheckRegistry::subscribe(const CheckKey& key, HealthListener listener) {
  auto it = checks_.find(key);
  if (it == checks_.end()) {
    auto check = std::unique_ptr<Check>(new Check{key, Tracker(key.tracking, random_, clock_.now()), next_serial_++, {}, {}});
    by_serial_.emplace(check->serial, check.get());
    queue(*check);
    it = checks_.emplace(key, std::move(check)).first;
  }
  SubscriptionId id = next_id_++;
  it->second->listeners.emplace(id, std::move(listener));
  subscriptions_.emplace(id, it->second.get());
  return id;
}

void CheckRegistry::unsubscribe(SubscriptionId id) {
  auto sub = subscriptions_.find(id);
  if (sub == subscriptions_.end()) return;
  Check* check = sub->second;
  subscriptions_.erase(sub);
  check->listeners.erase(id);
  if (!check->listeners.empty()) return;
  if (check->running) runner_.cancel(*check->running);
  by_serial_.erase(check->serial);  // its heap entry is stale from now on
  CheckKey key = check->key;  // a copy: erasing by a reference into the node is unsafe
  checks_.erase(key);
}

const Tracker* CheckRegistry::tracker(const CheckKey& key) const {
  auto it = checks_.find(key);
  return it == checks_.end() ? nullptr : &it->second->tracker;
}

Duration CheckRegistry::slack_for(std::chrono::milliseconds interval) {
  return std::min<Duration>(std::chrono::seconds(1), interval / 20);
}

Duration CheckRegistry::shortage_retry_for(std::chrono::milliseconds interval) {
  return std::min<Duration>(std::chrono::seconds(1), interval);
}

void CheckRegistry::queue(Check& check) {
  due_.push_back({check.tracker.next_due(), check.serial});
  std::push_heap(due_.begin(), due_.end(), std::greater<>{});
}

void CheckRegistry::drop_stale() {
  while (!due_.empty()) {
    auto it = by_serial_.find(due_.front().serial);
    if (it != by_serial_.end() && !it->second->running) return;
    std::pop_heap(due_.begin(), due_.end(), std::greater<>{});
    due_.pop_back();
  }
}

std::optional<TimePoint> CheckRegistry::poll() {
  TimePoint now = clock_.now();
  for (;;) {
    drop_stale();
    if (due_.empty() || due_.front().at > now) break;
    Check* check = by_serial_.at(due_.front().serial);
    std::pop_heap(due_.begin(), due_.end(), std::greater<>{});
    due_.pop_back();
    check->running = runner_.add(factory_(check->key.probe, now),
                                 [this, check](ProbeId, ProbeResult&& r) { on_result(*check, std::move(r)); });
  }
  if (due_.empty()) return std::nullopt;
  Check* first = by_serial_.at(due_.front().serial);
  return due_.front().at + slack_for(first->key.tracking.interval);
}

void CheckRegistry::on_shortage(Check& check, const ProbeResult& result, TimePoint now) {
  check.tracker.postpone(now + shortage_retry_for(check.key.tracking.interval));
  queue(check);
  ++put_off_total_;
  bool starts = !shortage_;
  if (starts) shortage_ = Shortage{{true, result.message, 0}, now};
  shortage_->last = now;
  ++shortage_->episode.retried;
  if (starts && shortage_listener_) shortage_listener_(shortage_->episode);
}

void CheckRegistry::shortage_over(TimePoint now) {
  if (!shortage_ || now - shortage_->last < kShortageQuiet) return;
  ShortageEpisode over = std::move(shortage_->episode);
  over.ongoing = false;
  shortage_.reset();
  if (shortage_listener_) shortage_listener_(over);
}

void CheckRegistry::on_result(Check& check, ProbeResult&& result) {
  check.running.reset();
  const TimePoint now = clock_.now();
  if (result.local_error()) {
    on_shortage(check, result, now);
    return;
  }
  if (result_observer_) result_observer_(check.key, result);
  auto edge = check.tracker.record(std::move(result), now);
  queue(check);
  if (edge) tell(check, *edge);
  shortage_over(now);  // last: `check` may be gone after the listeners
}

void CheckRegistry::tell(Check& check, const HealthEdge& edge) {
  // Listeners may subscribe or unsubscribe (even this check) while being told.
  CheckKey key = check.key;
  std::vector<SubscriptionId> ids;
  for (const auto& [id, listener] : check.listeners) ids.push_back(id);
  for (SubscriptionId id : ids) {
    auto sub = subscriptions_.find(id);
    if (sub == subscriptions_.end()) continue;
    auto l = sub->second->listeners.find(id);
    if (l == sub->second->listeners.end()) continue;
    HealthListener listener = l->second;  // a copy: it may unsubscribe itself
    if (listener) listener(key, edge);
  }
}

}  // namespace lvs::health
