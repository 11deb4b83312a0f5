#include "ha/takeover_grace.h"

#include <algorithm>

namespace lvs::ha {
namespace {

void sort_unique(std::vector<GraceEndpoint>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

const char* family_word(const net::IpAddress& a) { return a.is_v6() ? "ip6" : "ip"; }

}  // namespace

GraceRules grace_rules(const model::Cluster& cluster) {
  GraceRules r;
  if (!cluster.ha) return r;
  std::vector<model::VirtualService> scratch;
  for (const auto& s : model::virtual_services_of(cluster, scratch)) {
    // A marked fwmark service has its address and ports; one the operator marks has none.
    if (!s.has_address() || s.protocol != model::Protocol::tcp) continue;
    const bool on_vip = std::any_of(cluster.ha->vips.begin(), cluster.ha->vips.end(),
                                    [&](const model::Vip& v) { return v.address.address == s.address; });
    if (!on_vip) continue;
    const std::vector<std::uint16_t> ports = s.is_marked() ? s.mark_ports : std::vector<std::uint16_t>{s.port};
    for (auto port : ports) r.services.push_back({s.address, port});
    if (s.forwarding.method != model::ForwardMethod::masq) continue;
    // A real without a port answers from the port the client asked for.
    for (const auto* list : {&s.reals, &s.sorry_reals})
      for (const auto& real : *list)
        for (auto port : ports) r.nat_reals.push_back({real.address, real.port ? real.port : port});
  }
  sort_unique(r.services);
  sort_unique(r.nat_reals);
  return r;
}

std::string grace_remove_script() {
  // Adding first makes the delete succeed when there is no table.
  return std::string("add table ") + kGraceTable + "\ndelete table " + kGraceTable + "\n";
}

std::string grace_script(const GraceRules& rules) {
  // After IPVS: its LOCAL_IN hooks run at 98/99 and its NAT reply hook in FORWARD at 100,
  // and packets it takes are stolen, so only the ones it left reach priority 200.
  std::string out = grace_remove_script();
  out += std::string("table ") + kGraceTable + " {\n";
  out += "  chain grace_input {\n    type filter hook input priority 200; policy accept;\n";
  for (const auto& e : rules.services)
    out += std::string("    ") + family_word(e.address) + " daddr " + e.address.to_string() + " tcp dport " +
           std::to_string(e.port) + " tcp flags & syn == 0 drop\n";
  out += "  }\n";
  out += "  chain grace_forward {\n    type filter hook forward priority 200; policy accept;\n";
  for (const auto& e : rules.nat_reals)
    out += std::string("    ") + family_word(e.address) + " saddr " + e.address.to_string() + " tcp sport " +
           std::to_string(e.port) + " drop\n";
  out += "  }\n}\n";
  return out;
}

}  // namespace lvs::ha
