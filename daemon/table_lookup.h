#pragma once
// Finding things in a table read from the kernel, whose keys come back in the kernel's
// form (compared normalized, as the reconciler does).
#include <string>
#include <utility>

#include "ipvs/reconcile.h"
#include "ipvs/types.h"

namespace lvsd {

const lvs::ipvs::ServiceState* find_service(const lvs::ipvs::Table& table, const lvs::ipvs::ServiceKey& key);
const lvs::ipvs::DestinationState* find_dest(const lvs::ipvs::Table& table, const lvs::ipvs::ServiceKey& key,
                                             const lvs::ipvs::DestKey& dest);
// "203.0.113.81:25" or "[2001:db8::1]:25".
std::string endpoint(const lvs::ipvs::DestKey& key);

}  // namespace lvsd
