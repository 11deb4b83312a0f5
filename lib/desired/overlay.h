#pragma once
// What changes a real's presence or weight beyond the descriptor: health results and the
// operator's admin state. lvsd fills it from its trackers and drain state; lvsctl apply
// passes it empty, so every real is in with its configured weight.
#include <cstdint>
#include <map>
#include <optional>

#include "ipvs/types.h"

namespace lvs::desired {

struct RealOverride {
  std::optional<std::uint32_t> weight;  // replaces the configured weight (0: quiesced, drained)
  bool excluded = false;                // leave the real out (a failed check with on_failure: remove)
  bool operator==(const RealOverride&) const = default;
};

struct ServiceOverlay {
  std::map<ipvs::DestKey, RealOverride> reals;  // by the real's address and resolved port
  bool use_sorry = false;  // fewer healthy reals than the quorum: the sorry reals replace them
  bool operator==(const ServiceOverlay&) const = default;
};

struct Overlay {
  std::map<ipvs::ServiceKey, ServiceOverlay> services;  // keys as service_key() makes them
  bool operator==(const Overlay&) const = default;
};

}  // namespace lvs::desired
