#include "model/model_from_json.h"

#include <cctype>
#include <limits>

#include "model/json_positions.h"

namespace lvs::model {

using nlohmann::json;

bool is_valid_name(const std::string& name) {
  if (name.empty() || name.size() > 63 || !std::isalnum(static_cast<unsigned char>(name[0])))
    return false;
  for (unsigned char c : name)
    if (!std::isalnum(c) && c != '.' && c != '_' && c != '-') return false;
  return true;
}

namespace {

class Converter {
 public:
  explicit Converter(std::vector<Finding>& findings) : findings_(findings) {}

  Cluster cluster(const json& doc) {
    Cluster c;
    if (!doc.is_object()) return c;
    str(doc, "cluster", c.name);
    if (auto* nodes = array_at(doc, "nodes"))
      for (std::size_t i = 0; i < nodes->size(); ++i)
        c.nodes.push_back(node((*nodes)[i], "/nodes/" + std::to_string(i)));
    if (auto* h = object_at(doc, "ha")) c.ha = ha(*h, "/ha");
    if (auto* pools = object_at(doc, "pools"))
      for (const auto& [name, value] : pools->items()) {
        std::string ptr = "/pools/" + escape_pointer_token(name);
        if (!is_valid_name(name))
          error(ptr, "pool name \"" + name +
                         "\" is not valid: use letters, digits, '.', '_' and '-' (at most 63), "
                         "starting with a letter or digit", true);
        c.pools[name] = pool(value, ptr);
      }
    if (auto* services = array_at(doc, "services"))
      for (std::size_t i = 0; i < services->size(); ++i)
        c.services.push_back(service((*services)[i], "/services/" + std::to_string(i)));
    if (auto* ipvs = object_at(doc, "ipvs")) c.ipvs = ipvs_settings(*ipvs);
    c.virtual_services = expand(c);
    return c;
  }

 private:
  void error(const std::string& ptr, std::string message, bool at_key = false) {
    findings_.push_back(Finding{Severity::error, ptr, std::move(message), at_key});
  }

  static const json* member(const json& obj, const char* key) {
    if (!obj.is_object()) return nullptr;
    auto it = obj.find(key);
    return it == obj.end() ? nullptr : &*it;
  }
  static const json* array_at(const json& obj, const char* key) {
    auto* m = member(obj, key);
    return m && m->is_array() ? m : nullptr;
  }
  static const json* object_at(const json& obj, const char* key) {
    auto* m = member(obj, key);
    return m && m->is_object() ? m : nullptr;
  }
  static bool str(const json& obj, const char* key, std::string& out) {
    auto* m = member(obj, key);
    if (!m || !m->is_string()) return false;
    out = m->get<std::string>();
    return true;
  }
  static bool boolean(const json& obj, const char* key, bool& out) {
    auto* m = member(obj, key);
    if (!m || !m->is_boolean()) return false;
    out = m->get<bool>();
    return true;
  }
  // Integers outside T's range are left alone: the schema reports them.
  template <typename T>
  static bool integer(const json& obj, const char* key, T& out) {
    auto* m = member(obj, key);
    if (!m) return false;
    if (m->is_number_unsigned()) {
      auto v = m->get<std::uint64_t>();
      if (v > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) return false;
      out = static_cast<T>(v);
      return true;
    }
    if (m->is_number_integer()) {
      auto v = m->get<std::int64_t>();
      if (v < static_cast<std::int64_t>(std::numeric_limits<T>::min()) ||
          (v > 0 && static_cast<std::uint64_t>(v) > static_cast<std::uint64_t>(std::numeric_limits<T>::max())))
        return false;
      out = static_cast<T>(v);
      return true;
    }
    return false;
  }
  template <typename T>
  static std::optional<T> opt_integer(const json& obj, const char* key) {
    T v{};
    if (integer(obj, key, v)) return v;
    return std::nullopt;
  }
  static std::optional<std::string> opt_str(const json& obj, const char* key) {
    std::string v;
    if (str(obj, key, v)) return v;
    return std::nullopt;
  }
  static std::optional<bool> opt_bool(const json& obj, const char* key) {
    bool v = false;
    if (boolean(obj, key, v)) return v;
    return std::nullopt;
  }

  std::optional<IpAddress> address(const json& obj, const char* key, const std::string& ptr) {
    std::string text;
    if (!str(obj, key, text)) return std::nullopt;
    auto a = IpAddress::parse(text);
    if (!a) error(ptr + "/" + key, "\"" + text + "\" is not an IPv4 or IPv6 address");
    return a;
  }

  std::optional<IpPrefix> prefix(const json& obj, const char* key, const std::string& ptr) {
    std::string text;
    if (!str(obj, key, text)) return std::nullopt;
    auto p = IpPrefix::parse(text);
    if (!p) {
      auto slash = text.find('/');
      auto a = IpAddress::parse(std::string_view(text).substr(0, slash));
      // Keep the address itself, so later checks (VIP coverage) do not pile on.
      if (a) p = IpPrefix{*a, a->max_prefix()};
      if (a && slash != std::string::npos)
        error(ptr + "/" + key, "\"" + text + "\" has a bad prefix length: " +
                                   (a->is_v6() ? "IPv6 allows 0 to 128" : "IPv4 allows 0 to 32"));
      else
        error(ptr + "/" + key, "\"" + text + "\" is not an address with a prefix length such as 192.0.2.10/24");
    }
    return p;
  }

  template <typename E, std::size_t N>
  static std::optional<E> enumeration(const json& obj, const char* key,
                                      const std::pair<const char*, E> (&names)[N]) {
    std::string text;
    if (!str(obj, key, text)) return std::nullopt;
    for (const auto& [n, e] : names)
      if (text == n) return e;
    return std::nullopt;
  }

  Node node(const json& j, const std::string& ptr) {
    Node n;
    str(j, "name", n.name);
    if (auto a = address(j, "address", ptr)) n.address = *a;
    integer(j, "priority", n.priority);
    return n;
  }

  Ha ha(const json& j, const std::string& ptr) {
    Ha h;
    integer(j, "virtual_router_id", h.virtual_router_id);
    str(j, "interface", h.interface);
    integer(j, "advert_interval_ms", h.advert_interval_ms);
    boolean(j, "preempt", h.preempt);
    integer(j, "preempt_delay_s", h.preempt_delay_s);
    static constexpr std::pair<const char*, PeerMode> peers[] = {{"unicast", PeerMode::unicast},
                                                                  {"multicast", PeerMode::multicast}};
    if (auto p = enumeration(j, "peers", peers)) h.peers = *p;
    if (auto* auth = object_at(j, "authentication")) {
      static constexpr std::pair<const char*, AuthType> types[] = {
          {"none", AuthType::none}, {"hmac-sha256", AuthType::hmac_sha256}};
      if (auto t = enumeration(*auth, "type", types)) h.authentication.type = *t;
      str(*auth, "key_file", h.authentication.key_file);
    }
    if (auto* vips = array_at(j, "vips"))
      for (std::size_t i = 0; i < vips->size(); ++i) {
        const json& v = (*vips)[i];
        Vip vip;
        if (auto p = prefix(v, "address", ptr + "/vips/" + std::to_string(i))) vip.address = *p;
        str(v, "interface", vip.interface);
        h.vips.push_back(vip);
      }
    integer(j, "garp_refresh_s", h.garp_refresh_s);
    if (auto* notify = array_at(j, "notify"))
      for (const auto& arg : *notify)
        if (arg.is_string()) h.notify.push_back(arg.get<std::string>());
    if (auto* sync = object_at(j, "sync")) {
      Sync s;
      str(*sync, "interface", s.interface);
      integer(*sync, "sync_id", s.sync_id);
      static constexpr std::pair<const char*, SyncSend> sends[] = {{"each", SyncSend::each},
                                                                  {"batched", SyncSend::batched}};
      if (auto m = enumeration(*sync, "send", sends)) s.send = *m;
      integer(*sync, "takeover_grace_ms", s.takeover_grace_ms);
      h.sync = s;
    }
    return h;
  }

  RealSpec real(const json& j, const std::string& ptr) {
    RealSpec r;
    if (auto a = address(j, "address", ptr)) r.address = *a;
    r.port = opt_integer<std::uint16_t>(j, "port");
    if (r.port && *r.port == 0) r.port.reset();
    integer(j, "weight", r.weight);
    integer(j, "upper_threshold", r.upper_threshold);
    integer(j, "lower_threshold", r.lower_threshold);
    return r;
  }

  std::vector<RealSpec> reals(const json& j, const std::string& ptr) {
    std::vector<RealSpec> out;
    if (j.is_array())
      for (std::size_t i = 0; i < j.size(); ++i) out.push_back(real(j[i], ptr + "/" + std::to_string(i)));
    return out;
  }

  CheckSpec check(const json& j, const std::string& ptr) {
    CheckSpec c;
    static constexpr std::pair<const char*, CheckType> types[] = {
        {"none", CheckType::none}, {"tcp", CheckType::tcp},   {"smtp", CheckType::smtp},
        {"pop3", CheckType::pop3}, {"imap", CheckType::imap}};
    static constexpr std::pair<const char*, TlsMode> tls[] = {
        {"none", TlsMode::none}, {"implicit", TlsMode::implicit}, {"starttls", TlsMode::starttls}};
    c.type = enumeration(j, "type", types);
    c.tls = enumeration(j, "tls", tls);
    c.ca_file = opt_str(j, "ca_file");
    c.server_name = opt_str(j, "server_name");
    c.verify = opt_bool(j, "verify");
    c.min_tls_version = opt_str(j, "min_tls_version");
    c.interval_ms = opt_integer<std::uint32_t>(j, "interval_ms");
    c.timeout_ms = opt_integer<std::uint32_t>(j, "timeout_ms");
    c.rise = opt_integer<std::uint32_t>(j, "rise");
    c.fall = opt_integer<std::uint32_t>(j, "fall");
    c.credentials_file = opt_str(j, "credentials_file");
    c.port = opt_integer<std::uint16_t>(j, "port");
    c.source_address = address(j, "source_address", ptr);
    c.ehlo_name = opt_str(j, "ehlo_name");
    c.initially_up = opt_bool(j, "initially_up");
    return c;
  }

  Pool pool(const json& j, const std::string& ptr) {
    Pool p;
    if (auto* r = array_at(j, "reals")) p.reals = reals(*r, ptr + "/reals");
    if (auto* c = object_at(j, "check")) p.check = check(*c, ptr + "/check");
    return p;
  }

  ServiceSpec service(const json& j, const std::string& ptr) {
    ServiceSpec s;
    str(j, "name", s.name);
    s.address = address(j, "address", ptr);
    static constexpr std::pair<const char*, Protocol> protocols[] = {
        {"tcp", Protocol::tcp}, {"udp", Protocol::udp}, {"sctp", Protocol::sctp}};
    if (auto p = enumeration(j, "protocol", protocols)) s.protocol = *p;
    s.port = opt_integer<std::uint16_t>(j, "port");
    if (auto* ports = array_at(j, "ports"))
      for (const auto& p : *ports)
        if (p.is_number_integer() && p.get<std::int64_t>() >= 1 && p.get<std::int64_t>() <= 65535)
          s.ports.push_back(static_cast<std::uint16_t>(p.get<std::int64_t>()));
    s.fwmark = opt_integer<std::uint32_t>(j, "fwmark");
    static constexpr std::pair<const char*, Family> families[] = {{"inet", Family::inet},
                                                                   {"inet6", Family::inet6}};
    s.family = enumeration(j, "family", families);
    str(j, "scheduler", s.scheduler);
    if (auto* flags = array_at(j, "scheduler_flags"))
      for (const auto& f : *flags)
        if (f.is_string()) s.scheduler_flags.push_back(f.get<std::string>());
    integer(j, "persistence_s", s.persistence_s);
    s.persistence_netmask = opt_integer<int>(j, "persistence_netmask");
    str(j, "persistence_engine", s.persistence_engine);
    boolean(j, "one_packet", s.one_packet);
    if (auto* f = object_at(j, "forwarding")) {
      static constexpr std::pair<const char*, ForwardMethod> methods[] = {
          {"masq", ForwardMethod::masq}, {"droute", ForwardMethod::droute}, {"tunnel", ForwardMethod::tunnel}};
      static constexpr std::pair<const char*, TunnelType> tunnels[] = {
          {"ipip", TunnelType::ipip}, {"gue", TunnelType::gue}, {"gre", TunnelType::gre}};
      static constexpr std::pair<const char*, TunnelChecksum> sums[] = {
          {"none", TunnelChecksum::none}, {"csum", TunnelChecksum::csum}, {"remcsum", TunnelChecksum::remcsum}};
      if (auto m = enumeration(*f, "method", methods)) s.forwarding.method = *m;
      if (auto t = enumeration(*f, "tunnel_type", tunnels)) s.forwarding.tunnel_type = *t;
      integer(*f, "tunnel_port", s.forwarding.tunnel_port);
      if (auto c = enumeration(*f, "tunnel_checksum", sums)) s.forwarding.tunnel_checksum = *c;
    }
    str(j, "pool", s.pool);
    if (auto* r = array_at(j, "reals")) s.reals = reals(*r, ptr + "/reals");
    integer(j, "quorum", s.quorum);
    str(j, "sorry_server", s.sorry_server);
    static constexpr std::pair<const char*, OnFailure> failures[] = {{"quiesce", OnFailure::quiesce},
                                                                      {"remove", OnFailure::remove}};
    if (auto f = enumeration(j, "on_failure", failures)) s.on_failure = *f;
    if (auto* c = object_at(j, "check")) s.check = check(*c, ptr + "/check");
    return s;
  }

  static IpvsSettings ipvs_settings(const json& j) {
    IpvsSettings s;
    integer(j, "tcp_timeout_s", s.tcp_timeout_s);
    integer(j, "tcp_fin_timeout_s", s.tcp_fin_timeout_s);
    integer(j, "udp_timeout_s", s.udp_timeout_s);
    boolean(j, "expire_quiescent_template", s.expire_quiescent_template);
    boolean(j, "expire_nodest_conn", s.expire_nodest_conn);
    std::uint8_t mode = s.conn_reuse_mode;
    if (integer(j, "conn_reuse_mode", mode) && mode <= 2) s.conn_reuse_mode = mode;
    return s;
  }

  std::vector<Finding>& findings_;
};

}  // namespace

Cluster model_from_json(const json& document, std::vector<Finding>& findings) {
  return Converter(findings).cluster(document);
}

}  // namespace lvs::model
