#include "daemon/overlay_builder.h"

#include "desired/desired_state.h"

namespace lvsd {

namespace model = lvs::model;
namespace desired = lvs::desired;

std::size_t healthy_count(const model::VirtualService& vs, const HealthOf& healthy) {
  std::size_t n = 0;
  for (const auto& r : vs.reals)
    if (healthy(vs, r)) ++n;
  return n;
}

desired::Overlay build_overlay(const model::Cluster& cluster, const HealthOf& healthy, const AdminState& admin) {
  desired::Overlay overlay;
  const DrainIndex drained(admin);
  for (const auto& vs : cluster.virtual_services) {
    desired::ServiceOverlay so;
    for (const auto& r : vs.reals) {
      const lvs::ipvs::DestKey key{r.address, r.port};
      desired::RealOverride o;
      const bool up = healthy(vs, r);
      if (!up && vs.on_failure == model::OnFailure::remove) {
        o.excluded = true;
      } else if (!up || drained.find(vs.name, key) != nullptr) {
        o.weight = 0;
      }
      if (o != desired::RealOverride{}) so.reals[key] = o;
    }
    so.use_sorry = !vs.sorry_reals.empty() && healthy_count(vs, healthy) < vs.quorum;
    if (so != desired::ServiceOverlay{}) overlay.services[desired::service_key(vs)] = std::move(so);
  }
  return overlay;
}

}  // namespace lvsd
