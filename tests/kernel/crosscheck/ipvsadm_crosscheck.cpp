// Independent cross-check (in the VM): program a varied table with NetlinkIpvs, then read
// it with ipvsadm (`-Sn`, `-Ln` and `-Ln --thresholds`) and compare with what was programmed:
// the same services, reals, weights, flags, forwarding methods, tunnel settings and
// thresholds. ipvsadm's output is parsed into one normalized line per object; any
// difference fails with a diff.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "ipvs/netlink_ipvs.h"

using namespace lvs;
using namespace lvs::ipvs;

namespace {

[[noreturn]] void die(const std::string& what) {
  std::cerr << "ipvsadm_crosscheck: " << what << "\n";
  std::exit(1);
}

IpAddress ip(const std::string& text) {
  auto a = IpAddress::parse(text);
  if (!a) die("bad address " + text);
  return *a;
}

std::string capture(const std::string& cmd) {
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) die("cannot run " + cmd);
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int rc = pclose(p);
  if (rc != 0) die(cmd + " failed (status " + std::to_string(rc) + ")");
  return out;
}

std::vector<std::string> split(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// ---- normalized form --------------------------------------------------------------

std::string host_port(const IpAddress& a, std::uint16_t port) {
  return a.is_v6() ? "[" + a.to_string() + "]:" + std::to_string(port) : a.to_string() + ":" + std::to_string(port);
}

std::string service_id(const ServiceKey& k) {
  if (k.is_fwmark()) return "fwm " + std::to_string(k.fwmark) + (k.family == Family::inet6 ? " inet6" : " inet");
  return std::string(to_string(k.protocol)) + " " + host_port(k.address, k.port);
}

// Scheduler flag names as ipvsadm spells them.
std::string sched_flags(const std::string& sched, std::uint32_t flags) {
  std::vector<std::string> names;
  bool named = sched == "sh" || sched == "mh";
  if (flags & svc_flag::sched1) names.push_back(named ? sched + "-fallback" : "flag-1");
  if (flags & svc_flag::sched2) names.push_back(named ? sched + "-port" : "flag-2");
  if (flags & svc_flag::sched3) names.push_back("flag-3");
  std::sort(names.begin(), names.end());
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
  return out.empty() ? "-" : out;
}

std::string mask_text(Family f, std::uint32_t netmask) {
  if (f == Family::inet6) return std::to_string(netmask);
  IpAddress m;
  m.family = Family::inet;
  m.bytes[0] = static_cast<std::uint8_t>(netmask >> 24);
  m.bytes[1] = static_cast<std::uint8_t>(netmask >> 16);
  m.bytes[2] = static_cast<std::uint8_t>(netmask >> 8);
  m.bytes[3] = static_cast<std::uint8_t>(netmask);
  return m.to_string();
}

std::string service_line(const Service& s) {
  bool persistent = s.timeout_s > 0;
  return "service " + service_id(s.key) + " sched=" + s.scheduler + " flags=" + sched_flags(s.scheduler, s.flags) +
         " ops=" + ((s.flags & svc_flag::onepacket) ? "yes" : "no") +
         " persistent=" + (persistent ? std::to_string(s.timeout_s) : "-") +
         " mask=" + (persistent ? mask_text(s.key.family, s.netmask) : "-") + " pe=" + (s.pe_name.empty() ? "-" : s.pe_name);
}

const char* fwd_text(Forward f) {
  switch (f) {
    case Forward::masq: return "masq";
    case Forward::droute: return "route";
    case Forward::tunnel: return "tunnel";
    case Forward::local: return "local";
    case Forward::bypass: return "bypass";
  }
  return "?";
}

std::string tunnel_text(const Destination& d) {
  if (d.forward != Forward::tunnel) return "-";
  std::string csum = (d.tunnel_flags & tun_flag::remcsum) ? "remcsum" : (d.tunnel_flags & tun_flag::csum) ? "csum" : "nocsum";
  switch (d.tunnel_type) {
    case TunnelType::ipip: return "ipip";
    case TunnelType::gue: return "gue:" + std::to_string(d.tunnel_port) + ":" + csum;
    case TunnelType::gre: return "gre:" + csum;
  }
  return "?";
}

// What -Sn shows of a real (no thresholds); what -Ln shows (method and weight) and what
// -Ln --thresholds shows instead (thresholds).
std::string dest_line_s(const ServiceKey& k, const Destination& d) {
  return "real " + service_id(k) + " -> " + host_port(d.address, d.port) + " fwd=" + fwd_text(d.forward) +
         " weight=" + std::to_string(d.weight) + " tunnel=" + tunnel_text(d);
}
std::string dest_line_l(const ServiceKey& k, const Destination& d, bool thresholds) {
  std::string head = "real " + service_id(k) + " -> " + host_port(d.address, d.port);
  if (thresholds)
    return head + " upper=" + std::to_string(d.upper_threshold) + " lower=" + std::to_string(d.lower_threshold);
  return head + " fwd=" + fwd_text(d.forward) + " weight=" + std::to_string(d.weight);
}

// ---- ipvsadm -Sn ------------------------------------------------------------------

struct SvcSpec {
  ServiceKey key;
  std::size_t next = 0;  // index after the service specification
};

// "-t ADDR:PORT" / "-u" / "--sctp-service" / "-f MARK [-6]"
std::optional<SvcSpec> parse_spec(const std::vector<std::string>& w, std::size_t i) {
  SvcSpec s;
  if (i + 1 >= w.size()) return std::nullopt;
  const std::string& opt = w[i];
  if (opt == "-f") {
    s.key.fwmark = static_cast<std::uint32_t>(std::stoul(w[i + 1]));
    s.next = i + 2;
    s.key.family = Family::inet;
    return s;
  }
  if (opt == "-t") s.key.protocol = Protocol::tcp;
  else if (opt == "-u") s.key.protocol = Protocol::udp;
  else if (opt == "--sctp-service") s.key.protocol = Protocol::sctp;
  else return std::nullopt;
  const std::string& hp = w[i + 1];
  auto colon = hp.rfind(':');
  std::string host = hp.substr(0, colon);
  if (!host.empty() && host.front() == '[') host = host.substr(1, host.size() - 2);
  s.key.address = ip(host);
  s.key.family = s.key.address.family;
  s.key.port = static_cast<std::uint16_t>(std::stoul(hp.substr(colon + 1)));
  s.next = i + 2;
  return s;
}

std::pair<IpAddress, std::uint16_t> parse_hostport(const std::string& hp) {
  auto colon = hp.rfind(':');
  std::string host = hp.substr(0, colon);
  if (!host.empty() && host.front() == '[') host = host.substr(1, host.size() - 2);
  return {ip(host), static_cast<std::uint16_t>(std::stoul(hp.substr(colon + 1)))};
}

std::set<std::string> parse_save(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto w = split(line);
    if (w.empty()) continue;
    auto spec = parse_spec(w, 1);
    if (!spec) die("-Sn: cannot read: " + line);
    std::size_t i = spec->next;
    if (i < w.size() && w[i] == "-6") {
      spec->key.family = Family::inet6;
      ++i;
    }
    if (w[0] == "-A") {
      Service s;
      s.key = spec->key;
      s.netmask = s.key.family == Family::inet6 ? 128 : 0xffffffff;
      std::string flag_names;
      for (; i < w.size(); ++i) {
        const std::string& o = w[i];
        auto arg = [&]() -> std::string {
          if (i + 1 >= w.size()) die("-Sn: " + o + " lacks its value: " + line);
          return w[++i];
        };
        if (o == "-s") s.scheduler = arg();
        else if (o == "-p") s.timeout_s = static_cast<std::uint32_t>(std::stoul(arg()));
        else if (o == "-M") {
          std::string m = arg();
          if (s.key.family == Family::inet6) s.netmask = static_cast<std::uint32_t>(std::stoul(m));
          else {
            IpAddress a = ip(m);
            s.netmask = (std::uint32_t{a.bytes[0]} << 24) | (a.bytes[1] << 16) | (a.bytes[2] << 8) | a.bytes[3];
          }
        } else if (o == "--pe") s.pe_name = arg();
        else if (o == "-o") s.flags |= svc_flag::onepacket;
        else if (o == "-b") flag_names = arg();
        else die("-Sn: unknown service option " + o + ": " + line);
      }
      std::istringstream names(flag_names);
      for (std::string n; std::getline(names, n, ',');) {
        if (n.size() > 9 && n.compare(n.size() - 9, 9, "-fallback") == 0) s.flags |= svc_flag::sched1;
        else if (n.size() > 5 && n.compare(n.size() - 5, 5, "-port") == 0) s.flags |= svc_flag::sched2;
        else if (n == "flag-1") s.flags |= svc_flag::sched1;
        else if (n == "flag-2") s.flags |= svc_flag::sched2;
        else if (n == "flag-3") s.flags |= svc_flag::sched3;
        else die("-Sn: unknown scheduler flag " + n);
      }
      out.insert(service_line(s));
    } else if (w[0] == "-a") {
      Destination d;
      for (; i < w.size(); ++i) {
        const std::string& o = w[i];
        auto arg = [&]() -> std::string {
          if (i + 1 >= w.size()) die("-Sn: " + o + " lacks its value: " + line);
          return w[++i];
        };
        if (o == "-r") {
          auto [a, p] = parse_hostport(arg());
          d.address = a;
          d.port = p;
        } else if (o == "-m") d.forward = Forward::masq;
        else if (o == "-g") d.forward = Forward::droute;
        else if (o == "-i") d.forward = Forward::tunnel;
        else if (o == "-w") d.weight = static_cast<std::uint32_t>(std::stoul(arg()));
        else if (o == "-x") d.upper_threshold = static_cast<std::uint32_t>(std::stoul(arg()));
        else if (o == "-y") d.lower_threshold = static_cast<std::uint32_t>(std::stoul(arg()));
        else if (o == "--tun-type") {
          std::string t = arg();
          d.tunnel_type = t == "gue" ? TunnelType::gue : t == "gre" ? TunnelType::gre : TunnelType::ipip;
        } else if (o == "--tun-port") d.tunnel_port = static_cast<std::uint16_t>(std::stoul(arg()));
        else if (o == "--tun-nocsum") d.tunnel_flags = tun_flag::nocsum;
        else if (o == "--tun-csum") d.tunnel_flags = tun_flag::csum;
        else if (o == "--tun-remcsum") d.tunnel_flags = tun_flag::remcsum;
        else die("-Sn: unknown real option " + o + ": " + line);
      }
      out.insert(dest_line_s(spec->key, d));
    } else {
      die("-Sn: unexpected line: " + line);
    }
  }
  return out;
}

// ---- ipvsadm -Ln [--thresholds] -----------------------------------------------------

std::set<std::string> parse_list(const std::string& text, bool thresholds) {
  std::set<std::string> out;
  std::istringstream in(text);
  // Columns of a real's line: named on the "  -> RemoteAddress:Port ..." header, or,
  // with --thresholds, on the "Prot LocalAddress:Port ..." header.
  std::vector<std::string> columns, prot_columns;
  std::optional<ServiceKey> current;
  for (std::string line; std::getline(in, line);) {
    auto w = split(line);
    if (w.empty() || w[0] == "IP") continue;
    if (w[0] == "Prot") {
      prot_columns.assign(w.begin() + 1, w.end());
      continue;
    }
    if (w[0] == "->") {
      if (w.size() > 1 && w[1] == "RemoteAddress:Port") {
        columns.assign(w.begin() + 1, w.end());
        if (columns.size() == 1) columns = prot_columns;
        continue;
      }
      if (!current) die("-Ln: a real before any service: " + line);
      auto col = [&](const std::string& name) -> std::string {
        auto it = std::find(columns.begin(), columns.end(), name);
        if (it == columns.end() || static_cast<std::size_t>(it - columns.begin()) + 1 >= w.size())
          die("-Ln: no column " + name + " in: " + line);
        return w[static_cast<std::size_t>(it - columns.begin()) + 1];
      };
      Destination d;
      auto [a, p] = parse_hostport(w[1]);
      d.address = a;
      d.port = p;
      if (thresholds) {
        d.upper_threshold = static_cast<std::uint32_t>(std::stoul(col("Uthreshold")));
        d.lower_threshold = static_cast<std::uint32_t>(std::stoul(col("Lthreshold")));
      } else {
        std::string fwd = col("Forward");
        d.forward = fwd == "Masq" ? Forward::masq : fwd == "Route" ? Forward::droute : fwd == "Tunnel" ? Forward::tunnel
                  : fwd == "Local" ? Forward::local : Forward::bypass;
        d.weight = static_cast<std::uint32_t>(std::stoul(col("Weight")));
      }
      out.insert(dest_line_l(*current, d, thresholds));
      continue;
    }
    // A service: "TCP  192.0.2.10:143 fo persistent 900 mask 255.255.255.0",
    // "FWM  8 IPv6 sed", "SCTP 192.0.2.13:3868 mh (mh-fallback)", "UDP ... wrr ops", "... pe sip".
    Service s;
    std::size_t i = 1;
    if (w[0] == "FWM") {
      s.key.fwmark = static_cast<std::uint32_t>(std::stoul(w[1]));
      i = 2;
      if (i < w.size() && w[i] == "IPv6") {
        s.key.family = Family::inet6;
        ++i;
      }
    } else {
      s.key.protocol = w[0] == "TCP" ? Protocol::tcp : w[0] == "UDP" ? Protocol::udp : Protocol::sctp;
      auto [a, p] = parse_hostport(w[1]);
      s.key.address = a;
      s.key.family = a.family;
      s.key.port = p;
      i = 2;
    }
    if (i >= w.size()) die("-Ln: no scheduler: " + line);
    s.scheduler = w[i++];
    s.netmask = s.key.family == Family::inet6 ? 128 : 0xffffffff;
    for (; i < w.size(); ++i) {
      const std::string& o = w[i];
      if (o.front() == '(') {
        std::string names = o.substr(1, o.size() - 2);
        std::istringstream ns(names);
        for (std::string n; std::getline(ns, n, ',');) {
          if (n.find("fallback") != std::string::npos || n == "flag-1") s.flags |= svc_flag::sched1;
          else if (n.find("port") != std::string::npos || n == "flag-2") s.flags |= svc_flag::sched2;
          else if (n == "flag-3") s.flags |= svc_flag::sched3;
        }
      } else if (o == "persistent") {
        s.timeout_s = static_cast<std::uint32_t>(std::stoul(w.at(++i)));
      } else if (o == "mask") {
        std::string m = w.at(++i);
        if (s.key.family == Family::inet6) s.netmask = static_cast<std::uint32_t>(std::stoul(m));
        else {
          IpAddress a = ip(m);
          s.netmask = (std::uint32_t{a.bytes[0]} << 24) | (a.bytes[1] << 16) | (a.bytes[2] << 8) | a.bytes[3];
        }
      } else if (o == "ops") {
        s.flags |= svc_flag::onepacket;
      } else if (o == "pe") {
        s.pe_name = w.at(++i);
      } else {
        die("-Ln: unknown service word " + o + ": " + line);
      }
    }
    out.insert(service_line(s));
    current = s.key;
  }
  return out;
}

// ---- the table ----------------------------------------------------------------------

struct Entry {
  Service service;
  std::vector<Destination> reals;
};

Service svc(Protocol p, const std::string& addr, std::uint16_t port, const std::string& sched) {
  Service s;
  s.key.address = ip(addr);
  s.key.family = s.key.address.family;
  s.key.protocol = p;
  s.key.port = port;
  s.scheduler = sched;
  s.netmask = s.key.family == Family::inet6 ? 128 : 0xffffffff;
  return s;
}

Service mark(Family f, std::uint32_t m, const std::string& sched) {
  Service s;
  s.key.family = f;
  s.key.fwmark = m;
  s.scheduler = sched;
  s.netmask = f == Family::inet6 ? 128 : 0xffffffff;
  return s;
}

Destination real(const std::string& addr, std::uint16_t port, std::uint32_t weight, Forward fwd) {
  Destination d;
  d.address = ip(addr);
  d.family = d.address.family;
  d.port = port;
  d.weight = weight;
  d.forward = fwd;
  return d;
}

std::vector<Entry> varied_table() {
  std::vector<Entry> t;
  {  // NAT, the reference deployment's SMTP, with thresholds on one real
    Entry e{svc(Protocol::tcp, "192.0.2.10", 25, "rr"), {}};
    e.reals.push_back(real("198.51.100.11", 25, 1, Forward::masq));
    Destination r = real("198.51.100.12", 25, 2, Forward::masq);
    r.upper_threshold = 100;
    r.lower_threshold = 10;
    e.reals.push_back(r);
    t.push_back(e);
  }
  {  // failover with persistence and a netmask
    Entry e{svc(Protocol::tcp, "192.0.2.10", 143, "fo"), {}};
    e.service.timeout_s = 900;
    e.service.netmask = 0xffffff00;
    e.reals.push_back(real("198.51.100.11", 143, 100, Forward::masq));
    e.reals.push_back(real("198.51.100.12", 143, 50, Forward::masq));
    t.push_back(e);
  }
  {  // one-packet UDP, direct routing
    Entry e{svc(Protocol::udp, "192.0.2.11", 53, "wrr"), {}};
    e.service.flags = svc_flag::onepacket;
    e.reals.push_back(real("198.51.100.13", 53, 3, Forward::droute));
    e.reals.push_back(real("198.51.100.14", 53, 0, Forward::droute));
    t.push_back(e);
  }
  {  // sh with both flags, every tunnel type
    Entry e{svc(Protocol::tcp, "192.0.2.12", 80, "sh"), {}};
    e.service.flags = svc_flag::sched1 | svc_flag::sched2;
    e.reals.push_back(real("198.51.100.14", 80, 4, Forward::tunnel));
    Destination gue = real("198.51.100.15", 80, 4, Forward::tunnel);
    gue.tunnel_type = TunnelType::gue;
    gue.tunnel_port = 6080;
    gue.tunnel_flags = tun_flag::csum;
    e.reals.push_back(gue);
    Destination gue_rem = real("198.51.100.16", 80, 5, Forward::tunnel);
    gue_rem.tunnel_type = TunnelType::gue;
    gue_rem.tunnel_port = 6081;
    gue_rem.tunnel_flags = tun_flag::remcsum;
    e.reals.push_back(gue_rem);
    Destination gre = real("198.51.100.17", 80, 6, Forward::tunnel);
    gre.tunnel_type = TunnelType::gre;
    gre.tunnel_flags = tun_flag::csum;
    e.reals.push_back(gre);
    t.push_back(e);
  }
  {  // SCTP with mh and its fallback flag
    Entry e{svc(Protocol::sctp, "192.0.2.13", 3868, "mh"), {}};
    e.service.flags = svc_flag::sched1;
    e.reals.push_back(real("198.51.100.18", 3868, 1, Forward::masq));
    t.push_back(e);
  }
  {  // IPv6 with a persistence prefix, and thresholds
    Entry e{svc(Protocol::tcp, "2001:db8::10", 993, "lc"), {}};
    e.service.timeout_s = 3600;
    e.service.netmask = 64;
    Destination r = real("2001:db8:1::11", 993, 5, Forward::masq);
    r.upper_threshold = 5000;
    e.reals.push_back(r);
    e.reals.push_back(real("2001:db8:1::12", 993, 7, Forward::droute));
    t.push_back(e);
  }
  {  // fwmark services of both families
    Entry e{mark(Family::inet, 7, "wlc"), {}};
    e.reals.push_back(real("198.51.100.20", 0, 1, Forward::droute));
    t.push_back(e);
    Entry e6{mark(Family::inet6, 8, "sed"), {}};
    e6.reals.push_back(real("2001:db8:1::20", 0, 2, Forward::droute));
    t.push_back(e6);
  }
  {  // mixed family: an IPv6 real behind an IPv4 service, by tunnel
    Entry e{svc(Protocol::tcp, "192.0.2.14", 443, "nq"), {}};
    e.reals.push_back(real("2001:db8:1::30", 443, 1, Forward::tunnel));
    t.push_back(e);
  }
  {  // SIP persistence engine
    Entry e{svc(Protocol::udp, "192.0.2.15", 5060, "rr"), {}};
    e.service.timeout_s = 60;
    e.service.pe_name = "sip";
    e.reals.push_back(real("198.51.100.21", 5060, 1, Forward::masq));
    t.push_back(e);
  }
  for (const char* sched : {"lblc", "lblcr", "dh", "ovf"}) {
    Entry e{svc(Protocol::tcp, "192.0.2.16", static_cast<std::uint16_t>(1000 + t.size()), sched), {}};
    e.reals.push_back(real("198.51.100.22", 110, 9, Forward::masq));
    t.push_back(e);
  }
  return t;
}

bool compare(const char* what, const std::set<std::string>& want, const std::set<std::string>& got) {
  std::vector<std::string> missing, extra;
  std::set_difference(want.begin(), want.end(), got.begin(), got.end(), std::back_inserter(missing));
  std::set_difference(got.begin(), got.end(), want.begin(), want.end(), std::back_inserter(extra));
  if (missing.empty() && extra.empty()) {
    std::cout << what << ": " << want.size() << " objects, all equal\n";
    return true;
  }
  std::cout << what << ": MISMATCH (- programmed but not shown, + shown but not programmed)\n";
  for (const auto& m : missing) std::cout << "- " << m << "\n";
  for (const auto& e : extra) std::cout << "+ " << e << "\n";
  return false;
}

}  // namespace

int main() {
  auto opened = NetlinkIpvs::open();
  if (!opened) die(opened.error().describe());
  NetlinkIpvs& be = **opened;
  if (auto s = be.flush(); !s) die(s.error().describe());

  std::vector<Entry> table = varied_table();
  std::vector<Operation> ops;
  std::set<std::string> want_s, want_l, want_t;
  for (const auto& e : table) {
    ops.emplace_back(AddService{e.service});
    want_s.insert(service_line(e.service));
    want_l.insert(service_line(e.service));
    want_t.insert(service_line(e.service));
    for (const auto& d : e.reals) {
      ops.emplace_back(AddDest{e.service.key, d});
      want_s.insert(dest_line_s(e.service.key, d));
      want_l.insert(dest_line_l(e.service.key, d, false));
      want_t.insert(dest_line_l(e.service.key, d, true));
    }
  }
  ApplyResult r = be.apply(ops);
  if (!r.ok()) {
    for (const auto& e : r.errors) std::cerr << e.describe() << "\n";
    die("programming the table failed");
  }

  const std::string save = capture("ipvsadm -Sn");
  const std::string list = capture("ipvsadm -Ln");
  const std::string limits = capture("ipvsadm -Ln --thresholds");
  bool ok = compare("ipvsadm -Sn", want_s, parse_save(save));
  ok = compare("ipvsadm -Ln", want_l, parse_list(list, false)) && ok;
  ok = compare("ipvsadm -Ln --thresholds", want_t, parse_list(limits, true)) && ok;
  if (!ok)
    std::cout << "\n--- ipvsadm -Sn\n" << save << "\n--- ipvsadm -Ln\n" << list << "\n--- ipvsadm -Ln --thresholds\n"
              << limits;
  if (ok) {
    // The comparison must be able to fail: a weight changed behind the library's back
    // shows up as exactly one difference.
    capture("ipvsadm -e -t 192.0.2.10:25 -r 198.51.100.11:25 -m -w 9");
    std::set<std::string> changed = parse_list(capture("ipvsadm -Ln"), false);
    std::vector<std::string> diff;
    std::set_symmetric_difference(want_l.begin(), want_l.end(), changed.begin(), changed.end(), std::back_inserter(diff));
    if (diff.size() != 2) {
      std::cout << "the cross-check did not notice a weight changed by ipvsadm\n";
      ok = false;
    } else {
      std::cout << "a weight changed by ipvsadm is noticed: " << diff[0] << " / " << diff[1] << "\n";
    }
  }
  if (auto s = be.flush(); !s) die(s.error().describe());
  return ok ? 0 : 1;
}
