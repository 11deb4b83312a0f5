#pragma once
// Health and admin state turned into the desired-state overlay (lib/desired): the only
// way either reaches the kernel. Pure.
#include <functional>

#include "daemon/admin_state.h"
#include "desired/overlay.h"
#include "model/cluster.h"

namespace lvsd {

// true when the real of this service passes its check (or has none).
using HealthOf = std::function<bool(const lvs::model::VirtualService&, const lvs::model::Real&)>;

// Per service: a drained real gets weight 0; a real that is down gets weight 0
// (on_failure quiesce) or is left out (remove); fewer healthy reals than the quorum and
// a sorry pool: the sorry reals replace the reals.
lvs::desired::Overlay build_overlay(const lvs::model::Cluster& cluster, const HealthOf& healthy,
                                    const AdminState& admin);

// Healthy reals of a service, counted as the quorum counts them.
std::size_t healthy_count(const lvs::model::VirtualService& vs, const HealthOf& healthy);

}  // namespace lvsd
