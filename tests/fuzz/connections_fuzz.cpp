// libFuzzer target for the reader of /proc/net/ip_vs_conn (lib/ipvs/connections.h): any
// text must give entries and reported lines, never a crash or undefined behaviour, and
// every line is accounted for at most once.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ipvs/connections.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto table = lvs::ipvs::parse_connection_table(text);
  std::size_t lines = 1;
  for (char c : text) lines += c == '\n';
  if (table.connections.size() + table.unreadable.size() > lines) std::abort();
  for (const auto& u : table.unreadable)
    if (u.line == 0 || u.line > lines || u.text.size() > 200 || u.reason.empty()) std::abort();
  return 0;
}
