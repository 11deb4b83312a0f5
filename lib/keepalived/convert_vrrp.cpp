// vrrp_instance blocks (and global lvs_sync_daemon) -> the descriptor's nodes and ha.
#include <algorithm>
#include <cmath>

#include "keepalived/convert_context.h"

namespace lvs::keepalived::detail {
namespace {

struct Instance {
  const Statement* at = nullptr;
  std::string name;
  std::string interface;
  std::optional<int> vrid;
  std::optional<int> priority;
  std::string state;
  std::optional<double> advert_s;
  bool preempt = true;
  std::optional<double> preempt_delay_s;
  std::optional<net::IpAddress> source;
  std::vector<std::pair<net::IpAddress, Location>> peers;
  std::vector<std::pair<net::IpPrefix, std::string>> vips;  // address, interface ("" = the instance's)
  std::vector<Location> vip_lines;
  std::string sync_interface;  // lvs_sync_daemon_interface
  const Statement* sync_at = nullptr;
  std::optional<std::uint64_t> garp_refresh_s;
  bool version3 = false;
};

void vip_line(const Statement& s, bool excluded, Instance& in, Context& cx) {
  auto prefix = net::IpPrefix::parse(s.keyword());
  if (!prefix) cx.fail(s, "'" + s.keyword() + "' is not an address with an optional /prefix");
  std::string dev;
  std::string dropped;
  for (std::size_t i = 1; i < s.words.size(); ++i) {
    if (s.words[i] == "dev" && i + 1 < s.words.size()) {
      dev = s.words[++i];
    } else {
      dropped += (dropped.empty() ? "" : " ") + s.words[i];
    }
  }
  cx.carried(s);
  if (!dropped.empty())
    cx.note(s.where, "address options '" + dropped + "' of " + s.keyword() +
                         " are not carried: lvsd adds the address with its prefix on its interface only");
  if (excluded)
    cx.note(s.where, "excluded address " + s.keyword() +
                         " is carried as an ordinary VIP (the descriptor has no excluded addresses; it is listed "
                         "in lvsd's adverts)");
  in.vips.emplace_back(*prefix, dev);
  in.vip_lines.push_back(s.where);
}

void parse_instance(const Statement& inst, Context& cx, Instance& in) {
  in.at = &inst;
  in.name = inst.args() ? inst.arg(0) : "";
  cx.carried(inst);
  for (const Statement& s : inst.block) {
    const std::string& k = s.keyword();
    if (k == "interface") {
      cx.need_args(s, 1);
      in.interface = s.arg(0);
      cx.carried(s);
    } else if (k == "virtual_router_id") {
      cx.need_args(s, 1);
      in.vrid = static_cast<int>(cx.integer(s, s.arg(0), 255));
      if (*in.vrid == 0) cx.fail(s, "virtual_router_id 0 is outside 1-255");
      cx.carried(s);
    } else if (k == "priority") {
      cx.need_args(s, 1);
      in.priority = static_cast<int>(cx.integer(s, s.arg(0), 255));
      if (*in.priority == 0) cx.fail(s, "priority 0 is outside 1-255");
      cx.carried(s);
    } else if (k == "state") {
      cx.need_args(s, 1);
      in.state = s.arg(0);
      cx.not_carried(s, "lvsd has no initial state; the node with the highest priority becomes master");
    } else if (k == "advert_int") {
      cx.need_args(s, 1);
      in.advert_s = cx.seconds(s, s.arg(0));
      cx.carried(s);
    } else if (k == "nopreempt" || k == "no_preempt") {
      in.preempt = false;
      cx.carried(s);
    } else if (k == "preempt") {
      cx.carried(s);
    } else if (k == "preempt_delay") {
      cx.need_args(s, 1);
      in.preempt_delay_s = cx.seconds(s, s.arg(0));
      cx.carried(s);
    } else if (k == "unicast_src_ip" || k == "mcast_src_ip") {
      cx.need_args(s, 1);
      in.source = cx.address(s, s.arg(0));
      cx.carried(s);
    } else if (k == "unicast_peer") {
      cx.carried(s);
      for (const Statement& p : s.block) {
        in.peers.emplace_back(cx.address(p, p.keyword()), p.where);
        cx.carried(p);
        if (p.args())
          cx.note(p.where, "peer options (min_ttl, max_ttl) are not carried: lvsd accepts adverts with TTL 255 "
                           "only (RFC 5798)");
      }
    } else if (k == "virtual_ipaddress" || k == "virtual_ipaddress_excluded") {
      cx.carried(s);
      for (const Statement& v : s.block) vip_line(v, k == "virtual_ipaddress_excluded", in, cx);
    } else if (k == "lvs_sync_daemon_interface") {
      cx.need_args(s, 1);
      in.sync_interface = s.arg(0);
      in.sync_at = &s;
      cx.carried(s);
    } else if (k == "garp_master_refresh") {
      cx.need_args(s, 1);
      in.garp_refresh_s = cx.integer(s, s.arg(0), 86400);
      cx.carried(s);
    } else if (k == "version") {
      cx.need_args(s, 1);
      in.version3 = s.arg(0) == "3";
      cx.carried(s);
    } else if (k == "authentication") {
      cx.not_carried(s, "VRRPv3 has no PASS/AH authentication; lvsd offers hmac-sha256 (ha.authentication), "
                        "which only lvsd peers understand");
    } else if (k.rfind("notify", 0) == 0) {
      cx.not_carried(s, "lvsd runs no per-state notify scripts; ha.notify runs one command with the new state "
                        "appended, set it by hand if the script is still wanted");
    } else if (k.rfind("track_", 0) == 0) {
      cx.not_carried(s, "lvsd's failover follows the VRRP adverts only; it tracks no interface, script or file");
    } else if (k == "smtp_alert") {
      cx.not_carried(s, "lvsd sends no e-mail; it logs state changes to the journal");
    } else if (k.rfind("garp_", 0) == 0) {
      cx.not_carried(s, "lvsd sends a fixed gratuitous ARP burst on takeover (ha.garp_refresh_s repeats it)");
    } else if (k == "virtual_routes" || k == "virtual_rules") {
      cx.not_carried(s, "lvsd moves addresses only, not routes or rules");
    } else {
      cx.not_carried(s, "the descriptor's ha section has nothing like it");
    }
  }
}

std::string placeholder(bool v6, int n) { return v6 ? "2001:db8::" + std::to_string(n) : "192.0.2." + std::to_string(n); }

}  // namespace

void convert_vrrp(const std::vector<Statement>& top, const GlobalDefs& g, const ImportOptions& o, Context& cx,
                  Json& d) {
  std::vector<Instance> instances;
  for (const Statement& s : top) {
    if (s.keyword() != "vrrp_instance") continue;
    instances.emplace_back();
    parse_instance(s, cx, instances.back());
  }
  Location file_start = top.empty() ? Location{} : Location{top.front().where.file, 1};
  std::string self_name = !o.node_name.empty() ? sanitize_name(o.node_name, "lb1") : sanitize_name(g.router_id, "lb1");
  std::set<std::string> taken_addresses;

  auto address_or = [&](const std::string& given, const std::optional<net::IpAddress>& found, bool v6, int n,
                        const Location& at, const std::string& what) {
    if (!given.empty()) {
      auto a = net::IpAddress::parse(given);
      if (!a) throw ConvertError{Note{at, what + " address '" + given + "' is not an IP address"}};
      return a->to_string();
    }
    if (found) return found->to_string();
    std::string p = placeholder(v6, n);
    while (taken_addresses.count(p)) p = placeholder(v6, ++n);
    cx.note(at, what + " address is not in keepalived.conf: wrote the placeholder " + p +
                    " (replace it, or give --" + (what == "this node's" ? "node" : "peer") + "-address)");
    return p;
  };

  if (instances.empty()) {
    d["nodes"].push_back(Json{{"name", self_name},
                              {"address", address_or(o.node_address, std::nullopt, false, 1, file_start, "this node's")},
                              {"priority", 100}});
    if (g.sync_daemon)
      cx.not_carried(*g.sync_daemon, "connection sync belongs to the ha section, and there is no vrrp_instance");
    return;
  }

  Instance& primary = instances.front();
  Json ha;
  if (!primary.vrid) cx.fail(*primary.at, "vrrp_instance " + primary.name + " has no virtual_router_id");
  ha["virtual_router_id"] = *primary.vrid;
  std::string interface = primary.interface;
  if (interface.empty()) {
    interface = "eth0";
    for (auto it = primary.vips.rbegin(); it != primary.vips.rend(); ++it)
      if (!it->second.empty()) interface = it->second;  // the first VIP's dev
    cx.note(primary.at->where, "vrrp_instance " + primary.name + " has no interface: wrote " + interface +
                                   " for the adverts");
  }
  ha["interface"] = interface;
  int advert_ms = 1000;
  if (primary.advert_s) {
    double ms = std::round(*primary.advert_s * 100.0) * 10.0;
    advert_ms = static_cast<int>(std::clamp(ms, 10.0, 40950.0));
    if (std::abs(ms - *primary.advert_s * 1000.0) > 0.5 || advert_ms != ms)
      cx.note(primary.at->where, "advert_int " + std::to_string(*primary.advert_s) + " s became " +
                                     std::to_string(advert_ms) + " ms (VRRPv3 counts 10 ms steps from 10 ms to 40.95 s)");
  }
  ha["advert_interval_ms"] = advert_ms;
  ha["preempt"] = primary.preempt;
  if (primary.preempt_delay_s) ha["preempt_delay_s"] = std::min<long>(3600, std::lround(*primary.preempt_delay_s));
  ha["peers"] = primary.peers.empty() ? "multicast" : "unicast";

  // Further instances: the descriptor has one virtual router, so their addresses join it.
  std::vector<std::pair<net::IpPrefix, std::string>> vips;
  std::vector<Location> vip_lines;
  bool v6 = false;
  for (Instance& in : instances) {
    for (std::size_t i = 0; i < in.vips.size(); ++i) {
      vips.emplace_back(in.vips[i].first, in.vips[i].second.empty() ? (in.interface.empty() ? interface : in.interface)
                                                                     : in.vips[i].second);
      vip_lines.push_back(in.vip_lines[i]);
    }
    if (&in == &primary) continue;
    for (const Statement& s : in.at->block)
      if (s.keyword() != "virtual_ipaddress" && s.keyword() != "virtual_ipaddress_excluded") cx.covered(s);
    cx.note(in.at->where, "vrrp_instance " + in.name + " (virtual_router_id " +
                              (in.vrid ? std::to_string(*in.vrid) : std::string("?")) + ") is merged into " +
                              primary.name + " (virtual_router_id " + std::to_string(*primary.vrid) + "): its " +
                              std::to_string(in.vips.size()) +
                              " addresses now move with it; its other settings are not carried");
  }
  Json vip_json = Json::array();
  std::set<net::IpAddress> seen;
  for (std::size_t i = 0; i < vips.size(); ++i) {
    if (!seen.insert(vips[i].first.address).second) {
      cx.note(vip_lines[i], "address " + vips[i].first.address.to_string() + " is listed twice; written once");
      continue;
    }
    v6 = v6 || vips[i].first.address.is_v6();
    taken_addresses.insert(vips[i].first.address.to_string());
    vip_json.push_back(Json{{"address", vips[i].first.to_string()}, {"interface", vips[i].second}});
  }
  if (primary.garp_refresh_s) ha["garp_refresh_s"] = *primary.garp_refresh_s;
  ha["vips"] = vip_json;

  // Connection sync: global lvs_sync_daemon, else the instance's lvs_sync_daemon_interface.
  if (g.sync_daemon) {
    const Statement& s = *g.sync_daemon;
    cx.need_args(s, 1);
    Json sync{{"interface", s.arg(0)}, {"sync_id", 0}};
    std::string dropped;
    for (std::size_t i = 1; i < s.args(); ++i) {
      const std::string& w = s.arg(i);
      if (w == "id" && i + 1 < s.args()) {
        sync["sync_id"] = cx.integer(s, s.arg(++i), 255);
        continue;
      }
      if ((w == "maxlen" || w == "port" || w == "ttl" || w == "group") && i + 1 < s.args()) {
        dropped += " " + w + " " + s.arg(++i);
        continue;
      }
      std::string name = w == "inst" && i + 1 < s.args() ? s.arg(++i) : w;
      for (const Instance& in : instances)
        if (in.name == name && in.vrid && s.words.end() == std::find(s.words.begin(), s.words.end(), "id"))
          sync["sync_id"] = *in.vrid;
    }
    cx.carried(s);
    if (!dropped.empty())
      cx.note(s.where, "lvs_sync_daemon options '" + dropped.substr(1) +
                           "' are not carried: lvsd starts the sync daemons with the kernel's defaults, but for "
                           "the master daemon's message size, which ha.sync.send sets (default each: one "
                           "connection a message)");
    ha["sync"] = sync;
    for (const Instance& in : instances)
      if (in.sync_at) cx.note(in.sync_at->where, "lvs_sync_daemon_interface is overridden by global lvs_sync_daemon");
  } else {
    for (const Instance& in : instances)
      if (in.sync_at && !ha.contains("sync")) ha["sync"] = Json{{"interface", in.sync_interface}, {"sync_id", in.vrid.value_or(0)}};
  }
  d["ha"] = ha;

  if (!(g.vrrp_version3 || primary.version3 || v6))
    cx.note(primary.at->where, "keepalived speaks VRRPv2 here (its default); lvsd speaks VRRPv3 only: while both run "
                               "side by side, set vrrp_version 3 in keepalived's global_defs");

  // Nodes: this one, then each unicast peer (or one placeholder peer for multicast).
  int priority = primary.priority.value_or(primary.state == "MASTER" ? 255 : 100);
  if (priority == 255) {
    priority = 254;
    cx.note(primary.at->where, "priority 255 (address owner) became 254, the descriptor's highest");
  }
  // Placeholders take the family of an address that is known: VRRP needs one family.
  bool nodes_v6 = primary.source ? primary.source->is_v6() : !primary.peers.empty() ? primary.peers[0].first.is_v6() : v6;
  std::string self_address = address_or(o.node_address, primary.source, nodes_v6, 1, primary.at->where, "this node's");
  taken_addresses.insert(self_address);
  nodes_v6 = self_address.find(':') != std::string::npos;
  d["nodes"].push_back(Json{{"name", self_name}, {"address", self_address}, {"priority", priority}});

  std::set<int> used{priority};
  std::set<std::string> names{self_name};
  std::size_t peer_count = std::max<std::size_t>(1, primary.peers.size());
  for (std::size_t i = 0; i < peer_count && i < 15; ++i) {
    std::string name = i == 0 && !o.peer_name.empty() ? sanitize_name(o.peer_name, "lb2") : "lb" + std::to_string(i + 2);
    for (int n = static_cast<int>(i) + 3; names.count(name); ++n) name = "lb" + std::to_string(n);
    names.insert(name);
    Location at = i < primary.peers.size() ? primary.peers[i].second : primary.at->where;
    std::optional<net::IpAddress> found;
    if (i < primary.peers.size()) found = primary.peers[i].first;
    std::string address = address_or(i == 0 ? o.peer_address : "", found, nodes_v6, 2, at, "the peer's");
    taken_addresses.insert(address);
    int p;
    if (i == 0 && o.peer_priority) {
      p = *o.peer_priority;
      if (p < 1 || p > 254 || used.count(p))
        throw ConvertError{Note{at, "--peer-priority " + std::to_string(p) + " must be 1-254 and differ from " +
                                        std::to_string(priority)}};
    } else {
      // A backup's peer is usually the master, and the other way round; 50 apart as keepalived advises.
      bool self_master = primary.state == "MASTER" || (primary.state.empty() && priority > 100);
      p = std::clamp(self_master ? priority - 50 : priority + 50, 1, 254);
      while (used.count(p)) p = self_master ? (p > 1 ? p - 1 : 254) : (p < 254 ? p + 1 : 1);
      cx.note(at, "the priority of peer " + name + " is not in keepalived.conf: wrote " + std::to_string(p) +
                      " (give --peer-priority with the peer's own priority)");
    }
    used.insert(p);
    d["nodes"].push_back(Json{{"name", name}, {"address", address}, {"priority", p}});
  }
  if (primary.peers.size() > 15)
    cx.note(primary.peers[15].second, "the descriptor holds 16 nodes at most: later unicast peers are not carried");
}

}  // namespace lvs::keepalived::detail
