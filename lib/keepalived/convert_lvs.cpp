// virtual_server / virtual_server_group / real_server / checkers -> services and pools.
//
// keepalived checks each real on its own; the descriptor checks a service's reals alike.
// The first real's check becomes the service's; a real whose check differs is warned
// about. Timings map as: delay_loop -> interval_ms, connect_timeout -> timeout_ms,
// retry -> fall = retry + 1 (keepalived marks a real down after the first failure and
// `retry` more), rise 1 (keepalived brings a real up on one success), alpha -> initially_up
// false (without alpha keepalived starts with every real up).
#include <algorithm>
#include <cmath>

#include "keepalived/convert_context.h"
#include "model/cluster.h"

namespace lvs::keepalived::detail {
namespace {

// Settings that a virtual server passes to its reals and a real to its checkers.
struct Timing {
  std::optional<double> delay_loop, connect_timeout;
  std::optional<std::uint64_t> retry;
  std::optional<bool> alpha;
  std::optional<bool> inhibit;
};

// Takes a timing keyword; false when `s` is something else.
bool timing(const Statement& s, Timing& t, Context& cx) {
  const std::string& k = s.keyword();
  if (k == "delay_loop") {
    cx.need_args(s, 1);
    t.delay_loop = cx.seconds(s, s.arg(0));
  } else if (k == "connect_timeout") {
    cx.need_args(s, 1);
    t.connect_timeout = cx.seconds(s, s.arg(0));
  } else if (k == "retry" || k == "nb_get_retry" || k == "nb_sock_retry") {
    cx.need_args(s, 1);
    t.retry = cx.integer(s, s.arg(0), 1000);
  } else if (k == "alpha") {
    t.alpha = cx.boolean(s);
  } else if (k == "inhibit_on_failure") {
    t.inhibit = cx.boolean(s);
  } else if (k == "delay_before_retry") {
    cx.not_carried(s, "lvsd checks a failing real again after the normal interval (delay_loop), not sooner");
    return true;
  } else if (k == "warmup") {
    cx.not_carried(s, "lvsd spreads the first checks by its own jitter");
    return true;
  } else {
    return false;
  }
  cx.carried(s);
  return true;
}

Timing inherit(Timing child, const Timing& parent) {
  if (!child.delay_loop) child.delay_loop = parent.delay_loop;
  if (!child.connect_timeout) child.connect_timeout = parent.connect_timeout;
  if (!child.retry) child.retry = parent.retry;
  if (!child.alpha) child.alpha = parent.alpha;
  if (!child.inhibit) child.inhibit = parent.inhibit;
  return child;
}

Json forwarding(const Statement& s, Context& cx) {
  cx.need_args(s, 1);
  std::string m = s.arg(0);
  if (m == "NAT") return Json{{"method", "masq"}};
  if (m == "DR") return Json{{"method", "droute"}};
  if (m != "TUN") cx.fail(s, s.keyword() + ": '" + m + "' is not NAT, DR or TUN");
  Json j{{"method", "tunnel"}};
  for (std::size_t i = 1; i < s.args(); ++i) {
    const std::string& w = s.arg(i);
    if (w == "type" && i + 1 < s.args()) {
      j["tunnel_type"] = s.arg(++i);
      if (j["tunnel_type"] != "ipip" && j["tunnel_type"] != "gue" && j["tunnel_type"] != "gre")
        cx.fail(s, "tunnel type '" + s.arg(i) + "' is not ipip, gue or gre");
    } else if (w == "port" && i + 1 < s.args()) {
      j["tunnel_port"] = cx.integer(s, s.arg(++i), 65535);
    } else if (w == "csum" || w == "remcsum") {
      j["tunnel_checksum"] = w;
    } else if (w != "nocsum") {
      cx.fail(s, s.keyword() + ": unknown tunnel option '" + w + "'");
    }
  }
  return j;
}

struct Real {
  Json json;
  Json check;  // the check this real's keepalived checker becomes (type "none" without one)
  bool inhibit = false;
  std::string method;  // the real's own lvs_method, if written
  Location where;
};

// One checker block -> a check object; an unsupported one is replaced and warned about.
Json checker(const Statement& c, const Timing& inherited, const std::string& real_address, Context& cx) {
  const std::string& k = c.keyword();
  Timing t;
  Json j;
  bool supported = k == "TCP_CHECK" || k == "SMTP_CHECK";
  if (k == "HTTP_GET" || k == "SSL_GET") {
    cx.not_carried(c, "lvsd has no HTTP check; a tcp connect check to the same port and with the same timing "
                      "replaces it");
    j["type"] = "tcp";
  } else if (!supported) {
    std::string why = k == "MISC_CHECK" ? "lvsd runs no check scripts" : "lvsd checks tcp, smtp, pop3 and imap only";
    cx.not_carried(c, why + "; the real counts as always healthy (check type none)");
    return Json{{"type", "none"}};
  } else {
    j["type"] = k == "TCP_CHECK" ? "tcp" : "smtp";
    cx.carried(c);
  }
  // A SMTP_CHECK's old `host { }` sub-blocks: the first one is the real itself.
  std::vector<const Statement*> options;
  bool first_host = true;
  for (const Statement& s : c.block) {
    if (s.keyword() == "host" && supported) {
      if (!first_host) {
        cx.not_carried(s, "the descriptor checks one address per real; only the first host is checked");
        continue;
      }
      first_host = false;
      cx.carried(s);
      for (const Statement& h : s.block) options.push_back(&h);
    } else {
      options.push_back(&s);
    }
  }
  for (const Statement* sp : options) {
    const Statement& s = *sp;
    const std::string& o = s.keyword();
    if (!supported) {  // the replacement tcp check keeps the port and timing; the rest is in the warning
      if (o == "connect_port" && s.args()) j["port"] = cx.integer(s, s.arg(0), 65535);
      if (o == "delay_loop" || o == "connect_timeout" || o == "retry" || o == "nb_get_retry" || o == "alpha")
        timing(s, t, cx);
      continue;
    }
    if (timing(s, t, cx)) continue;
    if (o == "connect_port") {
      cx.need_args(s, 1);
      j["port"] = cx.integer(s, s.arg(0), 65535);
      cx.carried(s);
    } else if (o == "bindto") {
      cx.need_args(s, 1);
      j["source_address"] = cx.address(s, s.arg(0)).to_string();
      cx.carried(s);
    } else if (o == "helo_name" && k == "SMTP_CHECK") {
      cx.need_args(s, 1);
      j["ehlo_name"] = s.arg(0);
      cx.carried(s);
    } else if (o == "connect_ip") {
      cx.need_args(s, 1);
      if (cx.address(s, s.arg(0)).to_string() == real_address) cx.carried(s);
      else cx.not_carried(s, "lvsd checks the real's own address, not " + s.arg(0));
    } else {
      cx.not_carried(s, "the descriptor's check has nothing like it");
    }
  }
  t = inherit(t, inherited);
  double interval = t.delay_loop.value_or(60.0);
  double timeout = t.connect_timeout.value_or(5.0);
  long interval_ms = std::clamp(std::lround(interval * 1000), 100L, 3600000L);
  long timeout_ms = std::clamp(std::lround(timeout * 1000), 10L, 600000L);
  if (timeout_ms >= interval_ms) {
    long shorter = std::max(10L, interval_ms * 9 / 10);
    cx.note(c.where, "connect_timeout " + std::to_string(timeout_ms) + " ms is not below delay_loop " +
                         std::to_string(interval_ms) + " ms: timeout_ms became " + std::to_string(shorter));
    timeout_ms = shorter;
  }
  j["interval_ms"] = interval_ms;
  j["timeout_ms"] = timeout_ms;
  j["rise"] = 1;
  j["fall"] = std::min<std::uint64_t>(100, t.retry.value_or(1) + 1);
  j["initially_up"] = !t.alpha.value_or(false);
  return j;
}

Real real_server(const Statement& s, const Timing& vs_timing, bool fwmark, std::uint64_t vs_port,
                 const std::string& vs_method, Context& cx) {
  cx.need_args(s, 1);
  Real r;
  r.where = s.where;
  net::IpAddress address = cx.address(s, s.arg(0));
  r.json["address"] = address.to_string();
  if (s.args() >= 2) {
    std::uint64_t port = cx.integer(s, s.arg(1), 65535);
    if (port == 0) cx.fail(s, "real_server port 0");
    if (fwmark || port != vs_port) r.json["port"] = port;
  }
  r.json["weight"] = 1;
  cx.carried(s);
  Timing t;
  std::vector<const Statement*> checkers;
  for (const Statement& o : s.block) {
    const std::string& k = o.keyword();
    if (timing(o, t, cx)) continue;
    if (k == "weight") {
      cx.need_args(o, 1);
      r.json["weight"] = cx.integer(o, o.arg(0), 2147483647);
      cx.carried(o);
    } else if (k == "uthreshold" || k == "lthreshold") {
      cx.need_args(o, 1);
      r.json[k == "uthreshold" ? "upper_threshold" : "lower_threshold"] = cx.integer(o, o.arg(0), 4294967295u);
      cx.carried(o);
    } else if (k == "lvs_method") {
      Json f = forwarding(o, cx);
      r.method = f.dump();
      if (r.method == vs_method) cx.carried(o);
      else cx.not_carried(o, "the descriptor forwards all reals of a service alike; the service's method is used");
    } else if ((k.size() > 6 && k.substr(k.size() - 6) == "_CHECK") || k == "HTTP_GET" || k == "SSL_GET") {
      checkers.push_back(&o);
    } else if (k == "notify_up" || k == "notify_down") {
      cx.not_carried(o, "lvsd runs no scripts when a real goes up or down; it logs the change");
    } else if (k == "smtp_alert") {
      cx.not_carried(o, "lvsd sends no e-mail; it logs state changes to the journal");
    } else {
      cx.not_carried(o, "the descriptor's real server has nothing like it");
    }
  }
  Timing inherited = inherit(t, vs_timing);
  r.inhibit = inherited.inhibit.value_or(false);
  if (checkers.empty()) {
    r.check = Json{{"type", "none"}};  // keepalived keeps a real without checkers up
  } else {
    r.check = checker(*checkers.front(), inherited, address.to_string(), cx);
    std::uint64_t real_port = r.json.contains("port") ? r.json["port"].get<std::uint64_t>() : vs_port;
    if (r.check.contains("port") && r.check["port"].get<std::uint64_t>() == real_port) r.check.erase("port");
    for (std::size_t i = 1; i < checkers.size(); ++i)
      cx.not_carried(*checkers[i], "the descriptor runs one check per real; the first checker (" +
                                       checkers.front()->keyword() + ") is used");
  }
  return r;
}

// A virtual_server_group entry: "IP [PORT]", "IP-LAST [PORT]", "IP/nn [PORT]", "fwmark N [inet|inet6]".
struct GroupEntry {
  std::optional<net::IpAddress> address;
  std::uint64_t port = 0;
  std::uint64_t fwmark = 0;
  std::string family;
  Location where;
};

void increment(net::IpAddress& a) {
  int last = a.is_v6() ? 15 : 3;
  for (int i = last; i >= 0 && ++a.bytes[static_cast<std::size_t>(i)] == 0; --i) {
  }
}

std::vector<GroupEntry> group_entries(const Statement& g, Context& cx) {
  constexpr int kMaxRange = 256;
  std::vector<GroupEntry> out;
  cx.carried(g);
  for (const Statement& s : g.block) {
    cx.carried(s);
    if (s.keyword() == "fwmark") {
      cx.need_args(s, 1);
      GroupEntry e{std::nullopt, 0, cx.integer(s, s.arg(0), 4294967295u), s.args() > 1 ? s.arg(1) : "", s.where};
      if (e.fwmark == 0) cx.fail(s, "fwmark 0");
      out.push_back(e);
      continue;
    }
    std::string text = s.keyword();
    std::uint64_t port = s.args() ? cx.integer(s, s.arg(0), 65535) : 0;
    std::size_t dash = text.find('-'), slash = text.find('/');
    net::IpAddress first = cx.address(s, text.substr(0, std::min(dash, slash)));
    int count = 1;
    if (slash != std::string::npos) {
      int prefix = static_cast<int>(cx.integer(s, text.substr(slash + 1), static_cast<std::uint64_t>(first.max_prefix())));
      if (first.max_prefix() - prefix > 8) cx.fail(s, text + ": more than " + std::to_string(kMaxRange) + " addresses");
      count = 1 << (first.max_prefix() - prefix);
    } else if (dash != std::string::npos) {
      std::string last_text = text.substr(dash + 1);
      net::IpAddress last = first;
      if (auto full = net::IpAddress::parse(last_text)) {
        last = *full;
      } else if (first.is_v6()) {
        unsigned long v = std::strtoul(last_text.c_str(), nullptr, 16);
        last.bytes[14] = static_cast<std::uint8_t>(v >> 8);
        last.bytes[15] = static_cast<std::uint8_t>(v);
      } else {
        last.bytes[3] = static_cast<std::uint8_t>(cx.integer(s, last_text, 255));
      }
      net::IpAddress a = first;
      for (count = 1; a != last; ++count) {
        if (count > kMaxRange) cx.fail(s, text + ": more than " + std::to_string(kMaxRange) + " addresses (or an empty range)");
        increment(a);
      }
    }
    net::IpAddress a = first;
    for (int i = 0; i < count; ++i, increment(a)) out.push_back(GroupEntry{a, port, 0, "", s.where});
  }
  return out;
}

class LvsConverter {
 public:
  LvsConverter(Context& cx, Json& d) : cx_(cx), d_(d) {}

  void run(const std::vector<Statement>& top) {
    for (const Statement& s : top)
      if (s.keyword() == "virtual_server_group" && s.args()) groups_[s.arg(0)] = &s;
    for (const Statement& s : top)
      if (s.keyword() == "virtual_server") virtual_server(s);
    for (const auto& [name, g] : groups_)
      if (!used_groups_.count(name))
        cx_.not_carried(*g, "no virtual_server uses this group");
  }

 private:
  std::string unique_name(const std::string& base) {
    std::string name = sanitize_name(base, "service");
    for (int n = 2; !names_.insert(name).second; ++n) name = sanitize_name(base, "service") + "-" + std::to_string(n);
    return name;
  }

  void virtual_server(const Statement& vs) {
    cx_.need_args(vs, 1);
    std::vector<GroupEntry> targets;
    std::string group;
    if (vs.arg(0) == "group") {
      cx_.need_args(vs, 2);
      group = vs.arg(1);
      auto it = groups_.find(group);
      if (it == groups_.end()) cx_.fail(vs, "virtual_server_group " + group + " is not defined");
      if (used_groups_.insert(group).second) targets_of_group_[group] = group_entries(*it->second, cx_);
      targets = targets_of_group_[group];
      // An empty group gives the service nothing to listen on; keepalived adds nothing for it either.
      if (targets.empty()) {
        cx_.not_carried(vs, "virtual_server_group " + group + " has no addresses or fwmarks");
        return;
      }
    } else if (vs.arg(0) == "fwmark") {
      cx_.need_args(vs, 2);
      targets.push_back(GroupEntry{std::nullopt, 0, cx_.integer(vs, vs.arg(1), 4294967295u), "", vs.where});
      if (targets.back().fwmark == 0) cx_.fail(vs, "fwmark 0");
    } else {
      targets.push_back(GroupEntry{cx_.address(vs, vs.arg(0)), vs.args() > 1 ? cx_.integer(vs, vs.arg(1), 65535) : 0, 0,
                                   "", vs.where});
    }
    cx_.carried(vs);

    // The service's settings, shared by every target.
    Json svc;
    std::string protocol = "tcp";
    std::string scheduler;
    Json flags = Json::array();
    Json fwd{{"method", "masq"}};
    Timing t;
    std::optional<std::uint64_t> quorum;
    std::string family;
    const Statement* sorry = nullptr;
    std::vector<const Statement*> reals;
    for (const Statement& s : vs.block) {
      const std::string& k = s.keyword();
      if (timing(s, t, cx_)) continue;
      if (k == "real_server") {
        reals.push_back(&s);
        continue;
      }
      if (k == "lb_algo" || k == "lvs_sched") {
        cx_.need_args(s, 1);
        scheduler = s.arg(0);
        if (std::find(std::begin(model::kSchedulers), std::end(model::kSchedulers), scheduler) ==
            std::end(model::kSchedulers)) {
          cx_.not_carried(s, "scheduler " + scheduler + " is not one the descriptor knows; wlc (keepalived's "
                             "default) is used");
          scheduler.clear();
          continue;
        }
      } else if (k == "lb_kind" || k == "lvs_method") {
        fwd = forwarding(s, cx_);
      } else if (k == "protocol") {
        cx_.need_args(s, 1);
        std::string p = s.arg(0);
        std::transform(p.begin(), p.end(), p.begin(), [](unsigned char c) { return std::tolower(c); });
        if (p != "tcp" && p != "udp" && p != "sctp") cx_.fail(s, "protocol '" + s.arg(0) + "' is not TCP, UDP or SCTP");
        protocol = p;
      } else if (k == "persistence_timeout") {
        svc["persistence_s"] = s.args() ? cx_.integer(s, s.arg(0), 2678400) : 360;
      } else if (k == "persistence_granularity") {
        cx_.need_args(s, 1);
        svc["persistence_netmask"] = netmask(s);
      } else if (k == "persistence_engine") {
        cx_.need_args(s, 1);
        svc["persistence_engine"] = s.arg(0);
      } else if (k == "ops") {
        svc["one_packet"] = true;
      } else if (k == "flag-1" || k == "flag-2" || k == "flag-3" || k == "sh-port" || k == "sh-fallback" ||
                 k == "mh-port" || k == "mh-fallback") {
        flags.push_back(k);
      } else if (k == "quorum") {
        cx_.need_args(s, 1);
        quorum = cx_.integer(s, s.arg(0), 4294967295u);
        quorum_at_ = s.where;
      } else if (k == "ip_family") {
        cx_.need_args(s, 1);
        family = s.arg(0);
        if (family != "inet" && family != "inet6") cx_.fail(s, "ip_family '" + family + "' is not inet or inet6");
      } else if (k == "sorry_server") {
        cx_.need_args(s, 1);
        sorry = &s;
      } else if (k == "sorry_server_lvs_method") {
        if (forwarding(s, cx_) != fwd)
          cx_.not_carried(s, "the sorry server is forwarded like the service's reals");
        else
          cx_.carried(s);
        continue;
      } else if (k == "hysteresis") {
        cx_.not_carried(s, "the descriptor's quorum has no hysteresis; the sorry server switches at the quorum");
        continue;
      } else if (k == "quorum_up" || k == "quorum_down") {
        cx_.not_carried(s, "lvsd runs no scripts when the quorum changes; it logs the change");
        continue;
      } else if (k == "omega") {
        cx_.not_carried(s, "it only affects notify scripts at shutdown, which lvsd does not run");
        continue;
      } else if (k == "sorry_server_inhibit") {
        cx_.not_carried(s, "lvsd adds the sorry server only while the quorum is lost");
        continue;
      } else if (k == "smtp_alert") {
        cx_.not_carried(s, "lvsd sends no e-mail; it logs state changes to the journal");
        continue;
      } else if (k == "virtualhost") {
        cx_.not_carried(s, "it is for HTTP checks, which are not carried");
        continue;
      } else {
        cx_.not_carried(s, "the descriptor's service has nothing like it");
        continue;
      }
      cx_.carried(s);
    }

    // A group's services differ in port: its reals keep the port they were written with.
    std::uint64_t first_port = group.empty() ? targets.front().port : 0;
    bool fwmark = targets.front().fwmark != 0;
    std::vector<Real> rs;
    for (const Statement* s : reals) rs.push_back(real_server(*s, t, fwmark, first_port, fwd.dump(), cx_));

    Json reals_json = Json::array();
    for (const Real& r : rs) reals_json.push_back(r.json);
    Json check = rs.empty() ? Json{{"type", "none"}} : rs.front().check;
    for (std::size_t i = 1; i < rs.size(); ++i)
      if (rs[i].check != check)
        cx_.note(rs[i].where, "this real's health check differs from the first real's (" + difference(check, rs[i].check) +
                                  "); the descriptor checks a service's reals alike, with the first real's check");
    std::size_t inhibited = static_cast<std::size_t>(std::count_if(rs.begin(), rs.end(), [](const Real& r) { return r.inhibit; }));
    std::string on_failure = inhibited * 2 > rs.size() ? "quiesce" : "remove";
    if (inhibited != 0 && inhibited != rs.size())
      cx_.note(vs.where, std::to_string(inhibited) + " of " + std::to_string(rs.size()) +
                             " reals have inhibit_on_failure: the descriptor sets on_failure per service, wrote " +
                             on_failure);

    std::string pool;
    if (!group.empty()) {
      pool = sanitize_name(group, "group");
      if (!d_["pools"].contains(pool)) d_["pools"][pool] = Json{{"reals", reals_json}};
    }
    std::string sorry_pool;
    if (sorry) sorry_pool = sorry_server(*sorry, fwmark, first_port);

    for (const GroupEntry& e : targets) {
      Json j;
      if (e.fwmark) {
        j["name"] = unique_name((group.empty() ? "" : group + "-") + "fwmark-" + std::to_string(e.fwmark));
        j["fwmark"] = e.fwmark;
        std::string fam = !e.family.empty() ? e.family : !family.empty() ? family
                          : (!rs.empty() && rs.front().json["address"].get<std::string>().find(':') != std::string::npos) ? "inet6"
                                                                                                                         : "inet";
        if (fam != "inet") j["family"] = fam;
      } else {
        if (e.port == 0) {
          cx_.note(e.where, "a virtual server without a port (port 0, persistent on every port) is not carried: the "
                            "descriptor's services have ports 1-65535");
          continue;
        }
        std::string a = e.address->to_string();
        std::replace(a.begin(), a.end(), ':', '_');
        j["name"] = unique_name((group.empty() ? "" : group + "-") + protocol + "-" + a + "-" + std::to_string(e.port));
        j["address"] = e.address->to_string();
        j["protocol"] = protocol;
        j["port"] = e.port;
      }
      j["scheduler"] = scheduler.empty() ? "wlc" : scheduler;
      if (!flags.empty()) j["scheduler_flags"] = flags;
      for (const auto& [key, value] : svc.items()) j[key] = value;
      j["forwarding"] = fwd;
      if (!pool.empty()) j["pool"] = pool;
      else j["reals"] = reals_json;
      if (quorum && *quorum != 1) j["quorum"] = reals_for_quorum(*quorum, rs);
      if (!sorry_pool.empty()) j["sorry_server"] = sorry_pool;
      j["on_failure"] = on_failure;
      j["check"] = check;
      d_["services"].push_back(j);
    }
  }

  std::string sorry_server(const Statement& s, bool fwmark, std::uint64_t vs_port) {
    Json real{{"address", cx_.address(s, s.arg(0)).to_string()}};
    if (s.args() > 1) {
      std::uint64_t port = cx_.integer(s, s.arg(1), 65535);
      if (fwmark || port != vs_port) real["port"] = port;
    }
    std::string name = "sorry-" + real["address"].get<std::string>();
    std::replace(name.begin(), name.end(), ':', '_');
    if (real.contains("port")) name += "-" + std::to_string(real["port"].get<std::uint64_t>());
    name = sanitize_name(name, "sorry");
    d_["pools"][name] = Json{{"reals", Json::array({real})}};
    cx_.carried(s);
    return name;
  }

  // keepalived's quorum is a sum of weights; the descriptor's is a number of reals.
  std::uint64_t reals_for_quorum(std::uint64_t weight_sum, const std::vector<Real>& rs) {
    std::vector<std::uint64_t> weights;
    for (const Real& r : rs) weights.push_back(r.json["weight"].get<std::uint64_t>());
    std::sort(weights.begin(), weights.end());
    bool equal = !weights.empty() && weights.front() == weights.back() && weights.front() > 0;
    std::uint64_t n = 0, sum = 0;
    if (equal) {
      n = (weight_sum + weights.front() - 1) / weights.front();
    } else {
      while (n < weights.size() && sum < weight_sum) sum += weights[n++];  // the lightest reals that reach it
      if (sum < weight_sum) n = weights.size() + 1;
    }
    n = std::min<std::uint64_t>(n, 65535);
    if (!equal)
      cx_.note(quorum_at_, "quorum " + std::to_string(weight_sum) + " is a sum of weights in keepalived; the "
                           "descriptor counts reals: wrote quorum " + std::to_string(n) +
                           " (any that many reals reach the weight)");
    return n;
  }

  int netmask(const Statement& s) {
    if (auto a = net::IpAddress::parse(s.arg(0)); a && !a->is_v6()) {
      int bits = 0;
      bool zero_seen = false;
      for (int i = 0; i < 4; ++i)
        for (int b = 7; b >= 0; --b) {
          bool one = (a->bytes[static_cast<std::size_t>(i)] >> b) & 1;
          if (one && zero_seen) cx_.fail(s, "persistence_granularity " + s.arg(0) + " is not a contiguous netmask");
          if (one) ++bits;
          else zero_seen = true;
        }
      return bits;
    }
    return static_cast<int>(cx_.integer(s, s.arg(0), 128));
  }

  static std::string difference(const Json& a, const Json& b) {
    std::string out;
    for (const auto& [key, value] : b.items())
      if (!a.contains(key) || a[key] != value) out += std::string(out.empty() ? "" : ", ") + key + " " + value.dump(-1, ' ', false, Json::error_handler_t::replace);
    for (const auto& [key, value] : a.items())
      if (!b.contains(key)) out += std::string(out.empty() ? "" : ", ") + "no " + key;
    return out;
  }

  Context& cx_;
  Json& d_;
  std::map<std::string, const Statement*> groups_;
  std::set<std::string> used_groups_;
  std::map<std::string, std::vector<GroupEntry>> targets_of_group_;
  std::set<std::string> names_;
  Location quorum_at_;
};

}  // namespace

void convert_lvs(const std::vector<Statement>& top, Context& cx, Json& descriptor) {
  LvsConverter(cx, descriptor).run(top);
}

}  // namespace lvs::keepalived::detail
