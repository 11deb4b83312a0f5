#pragma once
// keepalived.conf -> cluster descriptor (schemas/cluster.schema.json), with one warning
// per keepalived option the descriptor cannot carry. Pure: statements in, JSON out.
//
// A keepalived.conf describes one balancer; a descriptor describes the pair. This node
// is nodes[0] (name: --node-name, else router_id, else lb1; address: unicast_src_ip or
// mcast_src_ip; priority: the vrrp_instance's). Each unicast_peer becomes another node
// (name lb2, lb3, ...; priority --peer-priority or invented). Whatever had to be invented
// (a placeholder address, a peer priority) is said in a warning.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "keepalived/config_tree.h"

namespace lvs::keepalived {

struct ImportOptions {
  std::string cluster;       // empty: router_id, else "keepalived"
  std::string node_name;     // empty: router_id, else "lb1"
  std::string node_address;  // empty: unicast_src_ip / mcast_src_ip, else a placeholder
  std::string peer_name;     // empty: "lb2"
  std::string peer_address;  // empty: the first unicast_peer, else a placeholder
  std::optional<int> peer_priority;  // empty: invented next to this node's priority
};

struct ImportResult {
  nlohmann::ordered_json descriptor;
  std::vector<Note> warnings;  // in file order within each part of the conversion
  std::optional<Note> error;   // set: nothing usable was produced
  // Statements the converter neither carried nor warned about on its own: each also got
  // a warning ("not expected here"). Empty for every real configuration the tests know;
  // an entry there is a keyword in a place the converter does not look.
  std::vector<Location> unaccounted;
  bool ok() const { return !error; }
};

ImportResult convert(const std::vector<Statement>& config, const ImportOptions& options = {});

// parse_config + convert; parse warnings come first.
ImportResult import_keepalived(const SourceFile& top, FileSource& files, const ParseOptions& parse = {},
                               const ImportOptions& options = {});

}  // namespace lvs::keepalived
