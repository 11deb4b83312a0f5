#pragma once
// The connection table as `ipvsadm -Lnc` prints it, or as JSON. Built into one string.
#include <string>

#include "ipvs/connections.h"

namespace lvsctl {

// "IPVS connection entries", the column titles, then one line per entry in the
// kernel's order; `engine_columns` adds ipvsadm's "pe name" and "pe_data" columns
// (ipvsadm -Lnc --persistent-conn) to the entries that carry them.
std::string format_connections_text(const lvs::ipvs::ConnectionTable& table, bool engine_columns);
// {"connections":[...],"unreadable_lines":[...]}: every field, expiry in seconds.
std::string format_connections_json(const lvs::ipvs::ConnectionTable& table);
// "mm:ss" as ipvsadm shows an expiry (minutes are not capped at 59 hours' worth).
std::string expire_text(std::uint64_t seconds);

}  // namespace lvsctl
