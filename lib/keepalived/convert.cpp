// The top of the converter: accounting, value parsers, global_defs, and the order of parts.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include "keepalived/convert_context.h"

namespace lvs::keepalived {
namespace detail {

void Context::not_carried(const Statement& s, const std::string& why) {
  warned_.insert(&s);
  std::string what = s.keyword();
  if (what.size() > 40) what = what.substr(0, 40) + "...";
  out_.warnings.push_back(Note{s.where, "'" + what + "' is not carried: " + why});
}

void Context::report_unaccounted(const std::vector<Statement>& tree) {
  for (const Statement& s : tree) {
    if (warned_.count(&s)) continue;
    if (!carried_.count(&s)) {
      out_.unaccounted.push_back(s.where);
      not_carried(s, "the importer does not expect it here");
      continue;
    }
    report_unaccounted(s.block);
  }
}

void Context::need_args(const Statement& s, std::size_t n) const {
  if (s.args() < n)
    fail(s, s.keyword() + " needs " + std::to_string(n) + (n == 1 ? " value" : " values"));
}

std::uint64_t Context::integer(const Statement& s, const std::string& text, std::uint64_t max) const {
  if (text.empty() || text.size() > 19 || !std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
    fail(s, s.keyword() + ": '" + text + "' is not a whole number");
  std::uint64_t v = std::strtoull(text.c_str(), nullptr, 10);
  if (v > max) fail(s, s.keyword() + ": " + text + " is above the maximum " + std::to_string(max));
  return v;
}

double Context::seconds(const Statement& s, const std::string& text) const {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(v) || v < 0 || v > 1e7)
    fail(s, s.keyword() + ": '" + text + "' is not a time in seconds");
  return v;
}

bool Context::boolean(const Statement& s) const {
  if (s.args() == 0) return true;
  std::string v = s.arg(0);
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  if (v == "on" || v == "true" || v == "yes") return true;
  if (v == "off" || v == "false" || v == "no") return false;
  fail(s, s.keyword() + ": '" + s.arg(0) + "' is not one of on, off, true, false, yes, no");
}

net::IpAddress Context::address(const Statement& s, const std::string& text) const {
  auto a = net::IpAddress::parse(text);
  if (!a) fail(s, s.keyword() + ": '" + text + "' is not an IP address");
  return *a;
}

std::string sanitize_name(const std::string& text, const std::string& fallback) {
  std::string out;
  for (char c : text) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    if (out.empty() && !std::isalnum(static_cast<unsigned char>(c))) continue;
    out += ok ? c : '-';
  }
  if (out.size() > 63) out.resize(63);
  return out.empty() ? fallback : out;
}

void convert_global(const Statement& g, Context& cx, GlobalDefs& defs, Json& descriptor) {
  cx.carried(g);
  for (const Statement& s : g.block) {
    const std::string& k = s.keyword();
    if (k == "router_id") {
      cx.need_args(s, 1);
      defs.router_id = s.arg(0);
      cx.carried(s);
    } else if (k == "lvs_sync_daemon") {
      defs.sync_daemon = &s;  // converted with the vrrp instance it names
    } else if (k == "vrrp_version") {
      cx.need_args(s, 1);
      defs.vrrp_version3 = s.arg(0) == "3";
      cx.carried(s);
    } else if (k == "lvs_timeouts") {
      static const std::map<std::string, const char*> kNames = {
          {"tcp", "tcp_timeout_s"}, {"tcpfin", "tcp_fin_timeout_s"}, {"udp", "udp_timeout_s"}};
      cx.need_args(s, 2);
      for (std::size_t i = 0; i < s.args(); i += 2) {
        auto it = kNames.find(s.arg(i));
        if (it == kNames.end()) cx.fail(s, "lvs_timeouts: unknown '" + s.arg(i) + "' (tcp, tcpfin, udp)");
        if (i + 1 >= s.args()) cx.fail(s, "lvs_timeouts: " + s.arg(i) + " needs a number of seconds");
        descriptor["ipvs"][it->second] = cx.integer(s, s.arg(i + 1), 2147483);
      }
      cx.carried(s);
    } else if (k == "lvs_flush") {
      cx.not_carried(s, "lvsd never flushes the table; it changes only what differs and leaves services it does "
                        "not own alone");
    } else if (k == "notification_email" || k == "notification_email_from" || k == "smtp_server" ||
               k == "smtp_connect_timeout" || k == "smtp_helo_name" || k == "smtp_alert" ||
               k == "smtp_alert_vrrp" || k == "smtp_alert_checker") {
      cx.not_carried(s, "lvsd sends no e-mail; it logs state changes to the journal");
    } else {
      cx.not_carried(s, "no global setting of the descriptor corresponds to it");
    }
  }
}

}  // namespace detail

ImportResult convert(const std::vector<Statement>& config, const ImportOptions& options) {
  using namespace detail;
  ImportResult out;
  Context cx(out);
  Json d;
  d["cluster"] = "";
  d["nodes"] = Json::array();
  try {
    GlobalDefs defs;
    for (const Statement& s : config)
      if (s.keyword() == "global_defs") convert_global(s, cx, defs, d);
    Json ipvs = d.contains("ipvs") ? d["ipvs"] : Json();
    d.erase("ipvs");
    convert_vrrp(config, defs, options, cx, d);
    d["pools"] = Json::object();
    d["services"] = Json::array();
    convert_lvs(config, cx, d);
    if (d["pools"].empty()) d.erase("pools");
    if (!ipvs.is_null()) d["ipvs"] = ipvs;
    std::string name = !options.cluster.empty() ? options.cluster : defs.router_id;
    d["cluster"] = sanitize_name(name, "keepalived");
    for (const Statement& s : config) {
      const std::string& k = s.keyword();
      if (k == "global_defs" || k == "vrrp_instance" || k == "virtual_server" || k == "virtual_server_group") continue;
      if (k == "vrrp_script" || k == "vrrp_track_process" || k == "track_file")
        cx.not_carried(s, "lvsd runs no tracking scripts; its failover follows the VRRP adverts only");
      else if (k == "vrrp_sync_group")
        cx.not_carried(s, "the descriptor has one virtual router, so all its addresses always move together");
      else if (k == "static_ipaddress" || k == "static_routes" || k == "static_rules")
        cx.not_carried(s, "lvsd does not configure static addresses, routes or rules; leave them to the system");
      else if (k == "SSL")
        cx.not_carried(s, "only SSL_GET checks use it, and they are not carried");
      else
        cx.not_carried(s, "the descriptor has nothing like it");
    }
  } catch (const ConvertError& e) {
    out.error = e.note;
    return out;
  }
  out.descriptor = std::move(d);
  cx.report_unaccounted(config);
  return out;
}

ImportResult import_keepalived(const SourceFile& top, FileSource& files, const ParseOptions& parse,
                               const ImportOptions& options) {
  ParseResult parsed = parse_config(top, files, parse);
  if (!parsed.ok()) {
    ImportResult r;
    r.warnings = parsed.warnings;
    r.error = parsed.error;
    return r;
  }
  ImportResult r = convert(parsed.statements, options);
  r.warnings.insert(r.warnings.begin(), parsed.warnings.begin(), parsed.warnings.end());
  // In reading order: files in the order first met, lines within each.
  std::vector<std::string> order;
  for (const Note& n : r.warnings)
    if (std::find(order.begin(), order.end(), n.where.file) == order.end()) order.push_back(n.where.file);
  auto rank = [&](const Note& n) {
    return std::pair(std::find(order.begin(), order.end(), n.where.file) - order.begin(), n.where.line);
  };
  std::stable_sort(r.warnings.begin(), r.warnings.end(), [&](const Note& a, const Note& b) { return rank(a) < rank(b); });
  return r;
}

}  // namespace lvs::keepalived
