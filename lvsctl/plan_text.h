#pragma once
// A plan as operator-readable lines: describe(op), plus what an edit changes.
#include <string>

#include "ipvs/reconcile.h"

namespace lvsctl {

// One line per operation, e.g.
//   "edit real 198.51.100.12:110 of tcp 192.0.2.10:110 (weight 5): weight 1 -> 5"
std::string plan_lines(const lvs::ipvs::Plan& plan, const lvs::ipvs::Table& observed);

// "what changes" for an edit, against the observed object ("scheduler fo -> rr, ..."),
// empty for other operations.
std::string edit_details(const lvs::ipvs::Operation& op, const lvs::ipvs::Table& observed);

}  // namespace lvsctl
