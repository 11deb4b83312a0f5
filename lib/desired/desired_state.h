#pragma once
// The descriptor model turned into the IPVS table it asks for: one desired service per
// expanded virtual service, its reals as destinations. Pure; no kernel access.
#include "desired/overlay.h"
#include "ipvs/reconcile.h"
#include "model/cluster.h"

namespace lvs::desired {

// The kernel key of a virtual service (normalized, as the reconciler compares them).
ipvs::ServiceKey service_key(const model::VirtualService& vs);

// The kernel's form of the service's attributes: scheduler, flags (persistent,
// one-packet, scheduler flags by name -> IP_VS_SVC_F_SCHED1..3), persistence timeout,
// netmask (IPv4: a mask in host order from the prefix length; IPv6: the prefix length).
ipvs::Service to_service(const model::VirtualService& vs);

// A real as a destination of `vs`: forwarding (with tunnel type, port, checksum flags),
// weight and thresholds as configured.
ipvs::Destination to_destination(const model::VirtualService& vs, const model::Real& real);

ipvs::DesiredService desired_service(const model::VirtualService& vs, const Overlay& overlay = {});

// Every virtual service of the cluster (Cluster::virtual_services, or expand() of the
// written layer when that is empty), in descriptor order.
ipvs::DesiredState desired_from_model(const model::Cluster& cluster, const Overlay& overlay = {});

}  // namespace lvs::desired
