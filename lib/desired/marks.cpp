#include "desired/marks.h"

#include <cstdio>

namespace lvs::desired {

MarkRules mark_rules(const model::Cluster& cluster) {
  MarkRules out;
  std::vector<model::VirtualService> scratch;
  for (const auto& v : model::virtual_services_of(cluster, scratch))
    if (v.is_marked()) out.rules.push_back(MarkRule{v.address, v.protocol, v.mark_ports, v.fwmark});
  return out;
}

std::string mark_remove_script() {
  // Adding first makes the delete succeed when there is no table.
  return std::string("add table ") + kMarkTable + "\ndelete table " + kMarkTable + "\n";
}

namespace {

// The chain: the text the fingerprint covers.
std::string chain_text(const MarkRules& rules) {
  // Before IPVS (its hooks come after mangle): the mark is what IPVS looks the fwmark
  // service up by. ("mark" is a keyword in nft, so the chain is "services".)
  std::string out = "  chain services {\n    type filter hook prerouting priority mangle; policy accept;\n";
  for (const auto& r : rules.rules) {
    std::string ports;
    for (auto p : r.ports) ports += (ports.empty() ? "" : ", ") + std::to_string(p);
    if (r.ports.size() > 1) ports = "{ " + ports + " }";
    char mark[16];
    std::snprintf(mark, sizeof mark, "0x%08x", static_cast<unsigned>(r.mark));
    out += std::string("    ") + (r.address.is_v6() ? "ip6" : "ip") + " daddr " + r.address.to_string() + " " +
           model::to_string(r.protocol) + " dport " + ports + " meta mark set " + mark + "\n";
  }
  return out + "  }\n";
}

}  // namespace

std::string mark_fingerprint(const MarkRules& rules) {
  std::uint64_t h = 14695981039346656037ull;  // FNV-1a
  for (unsigned char c : chain_text(rules)) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char text[32];
  std::snprintf(text, sizeof text, "lvsd %016llx", static_cast<unsigned long long>(h));
  return text;
}

std::string mark_script(const MarkRules& rules) {
  std::string out = mark_remove_script();
  out += std::string("table ") + kMarkTable + " {\n";
  out += "  comment \"" + mark_fingerprint(rules) + "\"\n";
  out += chain_text(rules) + "}\n";
  return out;
}

}  // namespace lvs::desired
