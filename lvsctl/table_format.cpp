#include "table_format.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <string_view>

#include "common/file_io.h"
#include "ipvs/reconcile.h"

namespace lvsctl {

using namespace lvs::ipvs;

namespace {

// Appends into one growing string; every number goes through to_chars (no locale, no
// stream state), which keeps formatting 50,000 lines well under the kernel dump's time.
class Out {
 public:
  explicit Out(std::size_t reserve) { s_.reserve(reserve); }
  Out& operator<<(std::string_view v) {
    s_.append(v);
    return *this;
  }
  Out& operator<<(char c) {
    s_.push_back(c);
    return *this;
  }
  Out& num(std::uint64_t v) {
    char b[24];
    auto r = std::to_chars(b, b + sizeof b, v);
    s_.append(b, r.ptr);
    return *this;
  }
  // Left-aligned in `width` columns (printf "%-Ns").
  Out& left(std::string_view v, std::size_t width) {
    s_.append(v);
    if (v.size() < width) s_.append(width - v.size(), ' ');
    return *this;
  }
  Out& left_num(std::uint64_t v, std::size_t width) {
    char b[24];
    auto r = std::to_chars(b, b + sizeof b, v);
    return left(std::string_view(b, static_cast<std::size_t>(r.ptr - b)), width);
  }
  // Right-aligned in `width` columns (printf "%Nllu").
  Out& right_num(std::uint64_t v, std::size_t width) {
    char b[24];
    auto r = std::to_chars(b, b + sizeof b, v);
    std::size_t n = static_cast<std::size_t>(r.ptr - b);
    if (n < width) s_.append(width - n, ' ');
    s_.append(b, n);
    return *this;
  }
  std::string take() { return std::move(s_); }

 private:
  std::string s_;
};

// ipvsadm's print_largenum: 9 columns, abbreviated with K/M/G/T unless exact.
void largenum(Out& o, std::uint64_t v, bool exact) {
  if (exact) {
    char b[24];
    auto r = std::to_chars(b, b + sizeof b, v);
    std::size_t n = static_cast<std::size_t>(r.ptr - b);
    o.right_num(v, n <= 8 ? 9 : n + 1);
    return;
  }
  if (v < 100000000ull) {
    o.right_num(v, 9);
  } else if (v < 1000000000ull) {
    o.right_num(v / 1000ull, 8) << 'K';
  } else if (v < 100000000000ull) {
    o.right_num(v / 1000000ull, 8) << 'M';
  } else if (v < 100000000000000ull) {
    o.right_num(v / 1000000000ull, 8) << 'G';
  } else {
    o.right_num(v / 1000000000000ull, 8) << 'T';
  }
}

std::string host_port(const IpAddress& a, std::uint16_t port) { return lvs::net::endpoint(a, port); }

const char* proto_upper(Protocol p) {
  switch (p) {
    case Protocol::tcp: return "TCP";
    case Protocol::udp: return "UDP";
    case Protocol::sctp: return "SCTP";
  }
  return "?";
}

// ipvsadm's column names for forwarding methods.
const char* forward_name(Forward f) {
  switch (f) {
    case Forward::masq: return "Masq";
    case Forward::local: return "Local";
    case Forward::tunnel: return "Tunnel";
    case Forward::droute: return "Route";
    case Forward::bypass: return "Bypass";
  }
  return "?";
}

std::string service_name(const ServiceKey& k) {
  if (k.is_fwmark()) {
    std::string s = "FWM  " + std::to_string(k.fwmark);
    if (k.family == Family::inet6) s += " IPv6";
    return s;
  }
  std::string s = proto_upper(k.protocol);
  s += "  ";
  s += host_port(k.address, k.port);
  return s;
}

std::string sched_flag_names(const Service& s) {
  static const char* generic[] = {"flag-1", "flag-2", "flag-3"};
  static const char* sh[] = {"sh-fallback", "sh-port", "flag-3"};
  static const char* mh[] = {"mh-fallback", "mh-port", "flag-3"};
  const char** names = s.scheduler == "sh" ? sh : s.scheduler == "mh" ? mh : generic;
  const std::uint32_t bits[] = {svc_flag::sched1, svc_flag::sched2, svc_flag::sched3};
  std::string out;
  for (int i = 0; i < 3; ++i) {
    if ((s.flags & bits[i]) == 0) continue;
    if (!out.empty()) out += ',';
    out += names[i];
  }
  return out;
}

std::string ipv4_mask_text(std::uint32_t m) {
  char b[16];
  std::snprintf(b, sizeof b, "%u.%u.%u.%u", (m >> 24) & 0xff, (m >> 16) & 0xff, (m >> 8) & 0xff, m & 0xff);
  return b;
}

void service_flags_text(Out& o, const Service& raw) {
  Service s = normalized(raw);
  std::string sf = sched_flag_names(s);
  if (!sf.empty()) o << " (" << sf << ")";
  if (s.flags & svc_flag::persistent) {
    o << " persistent ";
    o.num(s.timeout_s);
    if (s.key.family == Family::inet && s.netmask != 0xffffffffu) o << " mask " << ipv4_mask_text(s.netmask);
    if (s.key.family == Family::inet6 && s.netmask != 128) {
      o << " mask ";
      o.num(s.netmask);
    }
    if (!s.pe_name.empty()) o << " pe " << s.pe_name;
  }
  if (s.flags & svc_flag::onepacket) o << " ops";
}

// --- JSON ---------------------------------------------------------------------------

void json_string(Out& o, std::string_view v) {
  o << '"';
  for (char c : v) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      o << '\\' << c;
    } else if (u < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", u);
      o << b;
    } else {
      o << c;
    }
  }
  o << '"';
}

void json_stats(Out& o, const Stats& s) {
  o << "{\"conns\":";
  o.num(s.conns) << ",\"inpkts\":";
  o.num(s.inpkts) << ",\"outpkts\":";
  o.num(s.outpkts) << ",\"inbytes\":";
  o.num(s.inbytes) << ",\"outbytes\":";
  o.num(s.outbytes) << ",\"cps\":";
  o.num(s.cps) << ",\"inpps\":";
  o.num(s.inpps) << ",\"outpps\":";
  o.num(s.outpps) << ",\"inbps\":";
  o.num(s.inbps) << ",\"outbps\":";
  o.num(s.outbps) << '}';
}

const char* family_name(Family f) { return f == Family::inet6 ? "inet6" : "inet"; }

void json_service(Out& o, const ServiceState& st) {
  const Service s = normalized(st.service);
  o << "{\"family\":\"" << family_name(s.key.family) << '"';
  if (s.key.is_fwmark()) {
    o << ",\"fwmark\":";
    o.num(s.key.fwmark);
  } else {
    o << ",\"protocol\":\"" << to_string(s.key.protocol) << "\",\"address\":\"" << s.key.address.to_string()
      << "\",\"port\":";
    o.num(s.key.port);
  }
  o << ",\"scheduler\":";
  json_string(o, s.scheduler);
  o << ",\"flags\":";
  o.num(s.flags);
  o << ",\"scheduler_flags\":[";
  std::string sf = sched_flag_names(s);
  std::size_t start = 0;
  bool first = true;
  while (start < sf.size()) {
    auto comma = sf.find(',', start);
    if (comma == std::string::npos) comma = sf.size();
    if (!first) o << ',';
    json_string(o, std::string_view(sf).substr(start, comma - start));
    first = false;
    start = comma + 1;
  }
  o << "],\"persistent\":" << ((s.flags & svc_flag::persistent) ? "true" : "false");
  o << ",\"persistence_timeout_s\":";
  o.num(s.timeout_s);
  o << ",\"netmask\":";
  if (s.key.family == Family::inet) json_string(o, ipv4_mask_text(s.netmask));
  else o.num(s.netmask);
  o << ",\"persistence_engine\":";
  json_string(o, s.pe_name);
  o << ",\"one_packet\":" << ((s.flags & svc_flag::onepacket) ? "true" : "false");
  o << ",\"stats\":";
  json_stats(o, st.stats);
  o << ",\"destinations\":[";
  for (std::size_t i = 0; i < st.destinations.size(); ++i) {
    const auto& ds = st.destinations[i];
    const Destination d = normalized(ds.dest);
    if (i) o << ',';
    o << "{\"address\":\"" << d.address.to_string() << "\",\"port\":";
    o.num(d.port) << ",\"family\":\"" << family_name(d.family) << "\",\"forward\":\"" << to_string(d.forward)
                  << "\",\"weight\":";
    o.num(d.weight) << ",\"upper_threshold\":";
    o.num(d.upper_threshold) << ",\"lower_threshold\":";
    o.num(d.lower_threshold);
    if (d.forward == Forward::tunnel) {
      o << ",\"tunnel\":{\"type\":\"" << to_string(d.tunnel_type) << "\",\"port\":";
      o.num(d.tunnel_port) << ",\"flags\":";
      o.num(d.tunnel_flags) << '}';
    }
    o << ",\"active_conns\":";
    o.num(ds.active_conns) << ",\"inactive_conns\":";
    o.num(ds.inactive_conns) << ",\"persistent_conns\":";
    o.num(ds.persistent_conns) << ",\"stats\":";
    json_stats(o, ds.stats);
    o << '}';
  }
  o << "]}";
}

std::size_t dest_count(const Table& t) {
  std::size_t n = 0;
  for (const auto& s : t.services) n += s.destinations.size();
  return n;
}

}  // namespace

void sort_table(Table& table) {
  auto svc_less = [](const ServiceState& a, const ServiceState& b) {
    const ServiceKey ka = normalized(a.service.key), kb = normalized(b.service.key);
    if (ka.fwmark != kb.fwmark) return ka.fwmark < kb.fwmark;
    if (ka.family != kb.family) return ka.family < kb.family;
    if (ka.protocol != kb.protocol) return ka.protocol < kb.protocol;
    if (ka.address != kb.address) return ka.address < kb.address;
    return ka.port < kb.port;
  };
  std::sort(table.services.begin(), table.services.end(), svc_less);
  for (auto& s : table.services) {
    std::sort(s.destinations.begin(), s.destinations.end(),
              [](const DestinationState& a, const DestinationState& b) {
                return key_of(a.dest) < key_of(b.dest);
              });
  }
}

std::string format_table_text(const Info& info, const Table& table, const ListFormat& format) {
  Out o(256 + table.services.size() * 80 + dest_count(table) * 90);
  o << "IP Virtual Server version " << info.version_string() << " (size=";
  o.num(info.conn_table_size) << ")\n";
  switch (format.columns) {
    case ListColumns::connections:
      o << "Prot LocalAddress:Port Scheduler Flags\n"
           "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n";
      break;
    case ListColumns::stats:
      o.left("Prot LocalAddress:Port", 33) << "    Conns   InPkts  OutPkts  InBytes OutBytes\n"
                                              "  -> RemoteAddress:Port\n";
      break;
    case ListColumns::rate:
      o.left("Prot LocalAddress:Port", 33) << "      CPS    InPPS   OutPPS    InBPS   OutBPS\n"
                                              "  -> RemoteAddress:Port\n";
      break;
    case ListColumns::thresholds:
      o.left("Prot LocalAddress:Port", 33) << " Uthreshold Lthreshold ActiveConn InActConn \n"
                                              "  -> RemoteAddress:Port\n";
      break;
    case ListColumns::persistent:
      o.left("Prot LocalAddress:Port", 33) << " Weight    PersistConn ActiveConn InActConn \n"
                                              "  -> RemoteAddress:Port\n";
      break;
  }
  for (const auto& st : table.services) {
    const std::string name = service_name(st.service.key);
    switch (format.columns) {
      case ListColumns::connections:
      case ListColumns::thresholds:
      case ListColumns::persistent:
        o << name << ' ' << st.service.scheduler;
        service_flags_text(o, st.service);
        break;
      case ListColumns::stats:
        o.left(name, 33);
        largenum(o, st.stats.conns, format.exact);
        largenum(o, st.stats.inpkts, format.exact);
        largenum(o, st.stats.outpkts, format.exact);
        largenum(o, st.stats.inbytes, format.exact);
        largenum(o, st.stats.outbytes, format.exact);
        break;
      case ListColumns::rate:
        o.left(name, 33);
        largenum(o, st.stats.cps, format.exact);
        largenum(o, st.stats.inpps, format.exact);
        largenum(o, st.stats.outpps, format.exact);
        largenum(o, st.stats.inbps, format.exact);
        largenum(o, st.stats.outbps, format.exact);
        break;
    }
    o << '\n';
    for (const auto& ds : st.destinations) {
      const auto& d = ds.dest;
      o << "  -> ";
      o.left(host_port(d.address, d.port), 28);
      switch (format.columns) {
        case ListColumns::connections:
          o << ' ';
          o.left(forward_name(d.forward), 7) << ' ';
          o.left_num(d.weight, 6) << ' ';
          o.left_num(ds.active_conns, 10) << ' ';
          o.left_num(ds.inactive_conns, 10);
          break;
        case ListColumns::stats:
          largenum(o, ds.stats.conns, format.exact);
          largenum(o, ds.stats.inpkts, format.exact);
          largenum(o, ds.stats.outpkts, format.exact);
          largenum(o, ds.stats.inbytes, format.exact);
          largenum(o, ds.stats.outbytes, format.exact);
          break;
        case ListColumns::rate:
          o << ' ';
          o.right_num(ds.stats.cps, 8) << ' ';
          o.right_num(ds.stats.inpps, 8) << ' ';
          o.right_num(ds.stats.outpps, 8);
          largenum(o, ds.stats.inbps, format.exact);
          largenum(o, ds.stats.outbps, format.exact);
          break;
        case ListColumns::thresholds:
          o << ' ';
          o.left_num(d.upper_threshold, 10) << ' ';
          o.left_num(d.lower_threshold, 10) << ' ';
          o.left_num(ds.active_conns, 10) << ' ';
          o.left_num(ds.inactive_conns, 10);
          break;
        case ListColumns::persistent:
          o << ' ';
          o.left_num(d.weight, 9) << ' ';
          o.left_num(ds.persistent_conns, 11) << ' ';
          o.left_num(ds.active_conns, 10) << ' ';
          o.left_num(ds.inactive_conns, 10);
          break;
      }
      o << '\n';
    }
  }
  return o.take();
}

std::string format_table_json(const Info& info, const Table& table) {
  Out o(256 + table.services.size() * 400 + dest_count(table) * 400);
  o << "{\"version\":\"" << info.version_string() << "\",\"conn_table_size\":";
  o.num(info.conn_table_size) << ",\"services\":[";
  for (std::size_t i = 0; i < table.services.size(); ++i) {
    if (i) o << ",\n";
    else o << '\n';
    json_service(o, table.services[i]);
  }
  o << "\n]}\n";
  return o.take();
}

std::string format_timeouts_text(const Timeouts& t) {
  Out o(64);
  o << "Timeout (tcp tcpfin udp): ";
  o.num(t.tcp_s) << ' ';
  o.num(t.tcp_fin_s) << ' ';
  o.num(t.udp_s) << '\n';
  return o.take();
}

std::string format_timeouts_json(const Timeouts& t) {
  Out o(64);
  o << "{\"tcp_s\":";
  o.num(t.tcp_s) << ",\"tcp_fin_s\":";
  o.num(t.tcp_fin_s) << ",\"udp_s\":";
  o.num(t.udp_s) << "}\n";
  return o.take();
}

bool write_all(int fd, const std::string& text) {
  auto written = lvs::write_all(fd, text, fd == STDOUT_FILENO ? "the standard output" : "the output");
  if (!written) std::fprintf(stderr, "lvsctl: %s\n", written.error().describe().c_str());
  return written.ok();
}

}  // namespace lvsctl
