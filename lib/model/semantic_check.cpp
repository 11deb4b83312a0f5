#include "model/semantic_check.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <tuple>

#include "model/json_positions.h"

namespace lvs::model {
namespace {

class Checker {
 public:
  Checker(const Cluster& c, const SemanticOptions& o, std::vector<Finding>& f)
      : c_(c), options_(o), findings_(f) {}

  void run() {
    nodes();
    if (c_.ha) ha(*c_.ha);
    pools();
    for (std::size_t i = 0; i < c_.services.size(); ++i) service_shape(c_.services[i], i);
    service_keys();
    families_and_weights();
  }

 private:
  void error(std::string ptr, std::string msg) {
    findings_.push_back(Finding{Severity::error, std::move(ptr), std::move(msg), false});
  }
  void warning(std::string ptr, std::string msg) {
    findings_.push_back(Finding{Severity::warning, std::move(ptr), std::move(msg), false});
  }
  static std::string svc(std::size_t i) { return "/services/" + std::to_string(i); }
  static std::string pool_ptr(const std::string& name) { return "/pools/" + escape_pointer_token(name); }

  void nodes() {
    std::map<std::string, std::size_t> names;
    std::map<IpAddress, std::size_t> addresses;
    std::map<int, std::size_t> priorities;
    for (std::size_t i = 0; i < c_.nodes.size(); ++i) {
      const Node& n = c_.nodes[i];
      std::string ptr = "/nodes/" + std::to_string(i);
      if (auto [it, fresh] = names.emplace(n.name, i); !fresh)
        error(ptr + "/name", "node name \"" + n.name + "\" is already used by /nodes/" + std::to_string(it->second));
      if (auto [it, fresh] = addresses.emplace(n.address, i); !fresh)
        error(ptr + "/address", "node address " + n.address.to_string() + " is already used by /nodes/" +
                                    std::to_string(it->second));
      if (auto [it, fresh] = priorities.emplace(n.priority, i); !fresh)
        error(ptr + "/priority", "priority " + std::to_string(n.priority) + " equals that of node \"" +
                                     c_.nodes[it->second].name +
                                     "\": VRRP needs distinct priorities to pick the active node");
    }
  }

  void ha(const Ha& h) {
    // Checked here, not by the schema's multipleOf: valijson converts the number to a
    // long first, which is undefined for a huge one (the fuzzer found 1e126).
    if (h.advert_interval_ms % 10 != 0)
      error("/ha/advert_interval_ms", std::to_string(h.advert_interval_ms) + " is not a multiple of 10");
    if (c_.nodes.size() < 2)
      error("/ha", "failover needs at least two nodes, found " + std::to_string(c_.nodes.size()));
    const auto& auth = h.authentication;
    const std::string aptr = "/ha/authentication";
    if (auth.type == AuthType::hmac_sha256) {
      if (auth.key_file.empty()) error(aptr, "hmac-sha256 needs a key_file");
      else secret_file(auth.key_file, aptr + "/key_file", "key file");
    } else if (!auth.key_file.empty()) {
      error(aptr + "/key_file", "key_file is only used with type hmac-sha256");
    }
    std::map<IpAddress, std::size_t> seen;
    for (std::size_t i = 0; i < h.vips.size(); ++i) {
      std::string ptr = "/ha/vips/" + std::to_string(i);
      if (auto [it, fresh] = seen.emplace(h.vips[i].address.address, i); !fresh)
        error(ptr + "/address", "VIP " + h.vips[i].address.address.to_string() + " is already listed at /ha/vips/" +
                                    std::to_string(it->second));
      for (const Node& n : c_.nodes)
        if (n.address == h.vips[i].address.address)
          error(ptr + "/address", "VIP " + n.address.to_string() + " is the own address of node \"" + n.name + "\"");
    }
    for (const Node& n : c_.nodes)
      if (n.address.family != c_.nodes.front().address.family) {
        error("/nodes", "all nodes need addresses of one family for VRRP");
        break;
      }
  }

  // A file holding a secret (HMAC key, login password) must exist and be private.
  void secret_file(const std::string& path, const std::string& ptr, const std::string& what) {
    auto report = [&](std::string msg) {
      if (options_.key_file_problems_are_errors) error(ptr, std::move(msg));
      else warning(ptr, std::move(msg) + " (checked on this machine; the balancers need it)");
    };
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      int err = errno;
      report(err == ENOENT ? what + " " + path + " does not exist"
                           : what + " " + path + " cannot be read: " + std::strerror(err));
      return;
    }
    if (!S_ISREG(st.st_mode)) {
      report(what + " " + path + " is not a regular file");
      return;
    }
    if ((st.st_mode & 077) != 0) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
      report(what + " " + path + " is readable by others (mode " + mode + "); make it 0600");
    }
  }

  void pools() {
    std::set<std::string> used;
    for (const auto& s : c_.services) {
      if (!s.pool.empty()) used.insert(s.pool);
      if (!s.sorry_server.empty()) used.insert(s.sorry_server);
    }
    for (const auto& [name, pool] : c_.pools) {
      reals(pool.reals, pool_ptr(name) + "/reals");
      if (pool.check) check(*pool.check, pool_ptr(name) + "/check");
      if (!used.count(name)) warning(pool_ptr(name), "pool \"" + name + "\" is not used by any service");
    }
  }

  void reals(const std::vector<RealSpec>& rs, const std::string& ptr) {
    std::map<std::pair<IpAddress, int>, std::size_t> seen;
    for (std::size_t j = 0; j < rs.size(); ++j) {
      const RealSpec& r = rs[j];
      std::string rp = ptr + "/" + std::to_string(j);
      if (auto [it, fresh] = seen.emplace(std::pair{r.address, r.port.value_or(0)}, j); !fresh)
        error(rp, "real " + r.address.to_string() + (r.port ? ":" + std::to_string(*r.port) : "") +
                      " is already listed at " + ptr + "/" + std::to_string(it->second));
      if (r.upper_threshold != 0 && r.lower_threshold > r.upper_threshold)
        error(rp + "/lower_threshold", "lower_threshold " + std::to_string(r.lower_threshold) +
                                           " is above upper_threshold " + std::to_string(r.upper_threshold));
      if (r.address.is_unspecified() || r.address.is_multicast())
        error(rp + "/address", r.address.to_string() + " cannot be a real server");
    }
  }

  void check(const CheckSpec& c, const std::string& ptr) {
    if (c.credentials_file) secret_file(*c.credentials_file, ptr + "/credentials_file", "credentials file");
    if (c.interval_ms && c.timeout_ms && *c.timeout_ms >= *c.interval_ms)
      error(ptr + "/timeout_ms", "timeout_ms " + std::to_string(*c.timeout_ms) +
                                     " must be below interval_ms " + std::to_string(*c.interval_ms));
  }

  // Checks on the resolved check of one virtual service (defaults and overrides merged).
  void resolved_check(const VirtualService& v, const std::string& name, const std::string& ptr) {
    const HealthCheck& h = v.check;
    std::string cp = ptr + "/check";
    // A pool or service check that sets both values was judged on its own already.
    auto both_set = [](const std::optional<CheckSpec>& c) { return c && c->interval_ms && c->timeout_ms; };
    const ServiceSpec& spec = c_.services[std::stoul(ptr.substr(10))];
    auto pool = c_.pools.find(spec.pool);
    bool judged = both_set(spec.check) ||
                  (pool != c_.pools.end() && both_set(pool->second.check) &&
                   !(spec.check && (spec.check->interval_ms || spec.check->timeout_ms)));
    if (!judged && h.timeout_ms >= h.interval_ms)
      error(cp + "/timeout_ms", "timeout_ms " + std::to_string(h.timeout_ms) + " must be below interval_ms " +
                                    std::to_string(h.interval_ms) + " (service " + name + ")");
    if (h.tls == TlsMode::starttls && (h.type == CheckType::tcp || h.type == CheckType::none))
      error(cp + "/tls", std::string("starttls needs an smtp, pop3 or imap check, not ") + to_string(h.type) +
                             " (service " + name + ")");
    if (!h.credentials_file.empty() && h.type != CheckType::pop3 && h.type != CheckType::imap)
      warning(cp + "/credentials_file", std::string("credentials_file is only used by pop3 and imap checks; ") +
                                            name + " has a " + to_string(h.type) + " check");
    if (!h.credentials_file.empty() && h.tls == TlsMode::none &&
        (h.type == CheckType::pop3 || h.type == CheckType::imap)) {
      // Located where credentials_file was written: this service's check or its pool's.
      bool in_service = spec.check && spec.check->credentials_file;
      std::string at = in_service || pool == c_.pools.end() ? cp : pool_ptr(spec.pool) + "/check";
      const char* command = h.type == CheckType::pop3 ? "USER/PASS" : "LOGIN";
      warning(at + "/credentials_file", std::string("the ") + to_string(h.type) + " check of service " + name +
                                            " sends " + command + " in clear text (tls: none); " +
                                            "use tls: starttls, or implicit on port " +
                                            (h.type == CheckType::pop3 ? "995" : "993"));
    }
    if (h.source_address && h.source_address->family != v.family && v.reals.size() &&
        v.reals.front().address.family != h.source_address->family)
      error(cp + "/source_address", "source_address " + h.source_address->to_string() +
                                        " is not of the reals' address family");
    if (v.is_fwmark() && h.port == 0 && h.type != CheckType::none &&
        std::any_of(v.reals.begin(), v.reals.end(), [](const Real& r) { return r.port == 0; }))
      error(cp + "/port", "a fwmark service has no port: give check.port (or a port per real) for service " +
                              name);
  }

  void service_shape(const ServiceSpec& s, std::size_t i) {
    std::string ptr = svc(i);
    const bool has_port = s.port || !s.ports.empty();
    if (!has_port && !s.fwmark) error(ptr, "needs one of \"port\", \"ports\" or \"fwmark\"");
    if (s.port && !s.ports.empty()) error(ptr, "give only one of \"port\" and \"ports\"");
    if (s.fwmark && s.address && !has_port)
      error(ptr, "a fwmark service with an \"address\" needs \"port\" or \"ports\": the ports lvsd marks with " +
                     std::to_string(*s.fwmark) + " (without an address, the operator marks the traffic)");
    if (s.fwmark && !s.address && has_port)
      error(ptr + (s.port ? "/port" : "/ports"),
            "\"port\"/\"ports\" with \"fwmark\" need the \"address\" whose ports lvsd marks");
    if (!s.fwmark && !s.address) error(ptr, "missing required field \"address\" (the VIP)");
    if (s.family && !s.fwmark) error(ptr + "/family", "\"family\" is only for fwmark services; the VIP gives the family");
    if (s.family && s.fwmark && s.address)
      error(ptr + "/family", "\"family\" is only for fwmark services without an address; the address gives the family");
    if (s.fwmark && s.address && has_port) marked_reals(s, i);
    bool inline_reals = !s.reals.empty();
    if (s.pool.empty() && !inline_reals) error(ptr, "needs a \"pool\" or inline \"reals\"");
    if (!s.pool.empty() && inline_reals) error(ptr + "/reals", "give either \"pool\" or \"reals\", not both");
    if (!s.pool.empty() && !c_.pools.count(s.pool))
      error(ptr + "/pool", "pool \"" + s.pool + "\" is not defined" + known_pools());
    if (!s.sorry_server.empty() && !c_.pools.count(s.sorry_server))
      error(ptr + "/sorry_server", "sorry server pool \"" + s.sorry_server + "\" is not defined" + known_pools());
    if (inline_reals) reals(s.reals, ptr + "/reals");
    if (s.check) check(*s.check, ptr + "/check");

    Family fam = s.fwmark ? s.family.value_or(Family::inet) : (s.address ? s.address->family : Family::inet);
    int max_prefix = fam == Family::inet ? 32 : 128;
    if (s.persistence_netmask && *s.persistence_netmask > max_prefix)
      error(ptr + "/persistence_netmask", "prefix length " + std::to_string(*s.persistence_netmask) +
                                              " is wider than " + (fam == Family::inet ? "IPv4" : "IPv6") +
                                              " allows (" + std::to_string(max_prefix) + ")");
    if (s.persistence_s == 0 && (s.persistence_netmask || !s.persistence_engine.empty()))
      warning(ptr + "/persistence_s", "persistence_netmask/persistence_engine have no effect without persistence_s");

    for (std::size_t k = 0; k < s.scheduler_flags.size(); ++k) {
      const std::string& f = s.scheduler_flags[k];
      std::string family = f.substr(0, 3);
      if ((family == "sh-" && s.scheduler != "sh") || (family == "mh-" && s.scheduler != "mh"))
        error(ptr + "/scheduler_flags/" + std::to_string(k),
              "flag \"" + f + "\" belongs to the " + f.substr(0, 2) + " scheduler, not " + s.scheduler);
    }

    const Forwarding& fw = s.forwarding;
    if (fw.method != ForwardMethod::tunnel) {
      if (fw.tunnel_port != 0 || fw.tunnel_checksum != TunnelChecksum::none || fw.tunnel_type != TunnelType::ipip)
        error(ptr + "/forwarding", "tunnel_type, tunnel_port and tunnel_checksum are only for method tunnel");
    } else {
      if (fw.tunnel_type == TunnelType::gue && fw.tunnel_port == 0)
        error(ptr + "/forwarding", "a gue tunnel needs tunnel_port");
      if (fw.tunnel_type != TunnelType::gue && fw.tunnel_port != 0)
        error(ptr + "/forwarding/tunnel_port", "tunnel_port is only for gue tunnels");
      if (fw.tunnel_type == TunnelType::ipip && fw.tunnel_checksum != TunnelChecksum::none)
        error(ptr + "/forwarding/tunnel_checksum", "ipip tunnels have no checksum option");
      if (fw.tunnel_type == TunnelType::gre && fw.tunnel_checksum == TunnelChecksum::remcsum)
        error(ptr + "/forwarding/tunnel_checksum", "remcsum is only for gue tunnels");
    }
    if (s.persistence_s > 0 && s.one_packet)
      warning(ptr + "/one_packet", "one_packet scheduling ignores persistence");
  }

  // A marked service keeps the client's destination port (one of several): a port per
  // real would send all of them to that one port.
  void marked_reals(const ServiceSpec& s, std::size_t i) {
    auto check_list = [&](const std::vector<RealSpec>& rs, const std::string& ptr, const char* what) {
      for (std::size_t j = 0; j < rs.size(); ++j)
        if (rs[j].port)
          error(ptr + "/" + std::to_string(j) + "/port",
                std::string(what) + " " + rs[j].address.to_string() + " has a port, but service " + s.name +
                    " is marked (fwmark " + std::to_string(*s.fwmark) +
                    "): its reals keep the client's port; drop \"port\" here");
    };
    if (!s.pool.empty()) {
      if (auto it = c_.pools.find(s.pool); it != c_.pools.end()) check_list(it->second.reals, pool_ptr(s.pool) + "/reals", "real");
    } else {
      check_list(s.reals, svc(i) + "/reals", "real");
    }
    if (auto it = c_.pools.find(s.sorry_server); !s.sorry_server.empty() && it != c_.pools.end())
      check_list(it->second.reals, pool_ptr(s.sorry_server) + "/reals", "sorry server");
  }

  std::string known_pools() const {
    if (c_.pools.empty()) return " (no pools are defined)";
    std::string out = " (defined: ";
    bool first = true;
    for (const auto& [name, _] : c_.pools) {
      out += (first ? "" : ", ") + name;
      first = false;
    }
    return out + ")";
  }

  // Where a virtual service was written; for an expanded port, that item of `ports`.
  std::string vs_pointer(const VirtualService& v) const {
    std::size_t i = std::stoul(v.source_pointer.substr(10));
    const ServiceSpec& s = c_.services[i];
    if (!s.ports.empty() && !s.port && !s.fwmark) {
      auto it = std::find(s.ports.begin(), s.ports.end(), v.port);
      return v.source_pointer + "/ports/" + std::to_string(it - s.ports.begin());
    }
    if (s.fwmark) return v.source_pointer + "/fwmark";
    return v.source_pointer + "/port";
  }

  // Port, ports, fwmark and address fit together (service_shape reports the others).
  static bool well_formed(const ServiceSpec& s) {
    const bool has_port = s.port || !s.ports.empty();
    if (s.port && !s.ports.empty()) return false;
    if (s.fwmark) return has_port == s.address.has_value();
    return has_port && s.address;
  }

  // "service mail/143 (/services/0/ports/0)" or "marked service imap (fwmark 10, /services/1/ports/0)"
  std::string who(const VirtualService& v, const std::string& ptr) const {
    if (v.is_marked()) return "marked service " + v.name + " (fwmark " + std::to_string(v.fwmark) + ", " + ptr + ")";
    return "service " + v.name + " (" + ptr + ")";
  }

  // A marked address:protocol:port is served by one service only: the mark would take
  // its traffic away from the plain service, and two marks cannot both be set.
  void marked_overlaps() {
    using Key = std::tuple<int, int, IpAddress, int>;
    std::map<Key, std::pair<const VirtualService*, std::string>> seen;
    for (const auto& v : c_.virtual_services) {
      const ServiceSpec& s = c_.services[std::stoul(v.source_pointer.substr(10))];
      if (!well_formed(s) || !v.has_address()) continue;
      std::vector<std::pair<std::uint16_t, std::string>> ports;
      if (!v.is_marked()) {
        ports.push_back({v.port, vs_pointer(v)});
      } else if (s.port) {
        ports.push_back({*s.port, v.source_pointer + "/port"});
      } else {
        for (std::size_t k = 0; k < v.mark_ports.size(); ++k)
          ports.push_back({v.mark_ports[k], v.source_pointer + "/ports/" + std::to_string(k)});
      }
      for (const auto& [port, ptr] : ports) {
        Key k{static_cast<int>(v.family), static_cast<int>(v.protocol), v.address, port};
        auto [it, fresh] = seen.emplace(k, std::pair{&v, ptr});
        if (fresh || it->second.first->source_pointer == v.source_pointer) continue;
        // Two plain services on one endpoint are service_keys()'s finding.
        if (!v.is_marked() && !it->second.first->is_marked()) continue;
        error(ptr, std::string(to_string(v.protocol)) + " " + endpoint(v.address, port) + " is taken by " +
                       who(v, ptr) + " and by " + who(*it->second.first, it->second.second) +
                       ": a packet can go to one service only");
      }
    }
  }

  void service_keys() {
    marked_overlaps();
    using Key = std::tuple<int, int, IpAddress, int, std::uint32_t>;
    std::map<Key, const VirtualService*> keys;
    std::map<std::string, const VirtualService*> names;
    for (const auto& v : c_.virtual_services) {
      const ServiceSpec& s = c_.services[std::stoul(v.source_pointer.substr(10))];
      if (!well_formed(s)) continue;  // already reported
      Key k = v.is_fwmark() ? Key{static_cast<int>(v.family), 0, IpAddress{}, 0, v.fwmark}
                            : Key{static_cast<int>(v.family), static_cast<int>(v.protocol), v.address, v.port, 0};
      auto [it, fresh] = keys.emplace(k, &v);
      // A port repeated within one `ports` list is the schema's finding (uniqueItems).
      if (!fresh && it->second->source_pointer == v.source_pointer) continue;
      if (!fresh) {
        std::string what = v.is_fwmark() ? "fwmark " + std::to_string(v.fwmark) + " (" + to_string(v.family) + ")"
                                         : std::string(to_string(v.protocol)) + " " + endpoint(v.address, v.port);
        error(vs_pointer(v), "service " + what + " is already defined by " + it->second->source_pointer + " (" +
                                 it->second->name + ")");
      }
      if (auto [it, fresh] = names.emplace(v.name, &v); !fresh)
        error(v.source_pointer + "/name", "service name \"" + v.name + "\" is already used by " +
                                              it->second->source_pointer);
    }
  }

  static std::string endpoint(const IpAddress& a, int port) {
    return a.is_v6() ? "[" + a.to_string() + "]:" + std::to_string(port) : a.to_string() + ":" + std::to_string(port);
  }

  // Where a real of service i was written (in its pool or inline).
  std::string real_pointer(const ServiceSpec& s, std::size_t i, std::size_t j) const {
    if (!s.pool.empty()) return pool_ptr(s.pool) + "/reals/" + std::to_string(j);
    return svc(i) + "/reals/" + std::to_string(j);
  }

  void families_and_weights() {
    std::set<std::pair<std::string, std::string>> reported;  // (pointer, message) once per spec
    auto once = [&](Severity sev, std::string ptr, std::string msg) {
      if (reported.insert({ptr, msg}).second) findings_.push_back(Finding{sev, std::move(ptr), std::move(msg), false});
    };
    std::set<std::size_t> fo_reported;
    for (const auto& v : c_.virtual_services) {
      std::size_t i = std::stoul(v.source_pointer.substr(10));
      const ServiceSpec& s = c_.services[i];
      bool keyed = well_formed(s);
      // Mixing families is only possible when the real is reached through a tunnel.
      if (keyed && v.forwarding.method != ForwardMethod::tunnel)
        for (std::size_t j = 0; j < v.reals.size(); ++j)
          if (v.reals[j].address.family != v.family)
            once(Severity::error, real_pointer(s, i, j) + "/address",
                 std::string(v.reals[j].address.is_v6() ? "IPv6" : "IPv4") + " real " +
                     v.reals[j].address.to_string() + " cannot serve " + (v.family == Family::inet ? "IPv4" : "IPv6") +
                     " service " + s.name + " with " + to_string(v.forwarding.method) +
                     " forwarding (only tunnel mixes address families)");
      if (keyed && v.forwarding.method != ForwardMethod::tunnel && !s.sorry_server.empty())
        for (std::size_t j = 0; j < v.sorry_reals.size(); ++j)
          if (v.sorry_reals[j].address.family != v.family)
            once(Severity::error, pool_ptr(s.sorry_server) + "/reals/" + std::to_string(j) + "/address",
                 "sorry server " + v.sorry_reals[j].address.to_string() + " is not of service " + s.name +
                     "'s address family");
      if (v.scheduler == "fo" && !fo_reported.count(i)) {
        std::map<std::uint32_t, std::vector<std::string>> by_weight;
        for (const Real& r : v.reals) by_weight[r.weight].push_back(r.address.to_string());
        for (const auto& [w, addrs] : by_weight)
          if (addrs.size() > 1 && w > 0) {
            std::string list;
            for (const auto& a : addrs) list += (list.empty() ? "" : ", ") + a;
            warning(svc(i) + "/scheduler", "fo service " + s.name + " has reals with equal weight " +
                                               std::to_string(w) + " (" + list + "): failover order is undefined");
            fo_reported.insert(i);
            break;
          }
      }
      if (v.quorum > v.reals.size() && !v.reals.empty())
        once(Severity::warning, svc(i) + "/quorum",
             "quorum " + std::to_string(v.quorum) + " is more than the " + std::to_string(v.reals.size()) +
                 " reals: the service can never be healthy");
      resolved_check(v, s.name, svc(i));
      if (c_.ha && v.has_address() && keyed) {
        bool covered = std::any_of(c_.ha->vips.begin(), c_.ha->vips.end(),
                                   [&](const Vip& vip) { return vip.address.address == v.address; });
        if (!covered)
          once(Severity::warning, svc(i) + "/address",
               "VIP " + v.address.to_string() + " is not in ha.vips, so it does not move on failover");
      }
    }
  }

  const Cluster& c_;
  const SemanticOptions& options_;
  std::vector<Finding>& findings_;
};

}  // namespace

void check_semantics(const Cluster& cluster, const SemanticOptions& options, std::vector<Finding>& findings) {
  Checker(cluster, options, findings).run();
}

}  // namespace lvs::model
