#pragma once
// The HA report as text, for `lvsctl ha status` and the HA part of `lvsctl status`.
#include <string>

#include "control/ha.h"

namespace lvsctl {

std::string ha_text(const lvs::control::HaReport& ha);

}  // namespace lvsctl
