#pragma once
// The kernel table as text, in the columns an `ipvsadm -Ln` user knows, or as JSON with
// exact numbers. Built into one string so the caller writes it with a single write.
#include <string>

#include "ipvs/types.h"

namespace lvsctl {

// connections: ipvsadm -Ln; stats / rate / thresholds / persistent: with --stats,
// --rate, --thresholds, --persistent-conn.
enum class ListColumns { connections, stats, rate, thresholds, persistent };

struct ListFormat {
  ListColumns columns = ListColumns::connections;
  bool exact = false;  // counters in full instead of K/M/G/T (ipvsadm --exact)
};

// Services by (fwmark, family, protocol, address, port) with plain services first, and
// destinations by address and port: the order `ipvsadm -Ln` prints.
void sort_table(lvs::ipvs::Table& table);

std::string format_table_text(const lvs::ipvs::Info& info, const lvs::ipvs::Table& table,
                              const ListFormat& format);
// Every field, stats and rates, as exact integers.
std::string format_table_json(const lvs::ipvs::Info& info, const lvs::ipvs::Table& table);

// "Timeout (tcp tcpfin udp): 900 120 300" (ipvsadm -L --timeout), or as JSON.
std::string format_timeouts_text(const lvs::ipvs::Timeouts& t);
std::string format_timeouts_json(const lvs::ipvs::Timeouts& t);

// Writes all of `text` to a file descriptor through the file layer (lvs::write_all);
// on failure says why on stderr and returns false.
bool write_all(int fd, const std::string& text);

}  // namespace lvsctl
