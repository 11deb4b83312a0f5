#include "ha_text.h"

#include <cstdio>

namespace lvsctl {

namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out.empty() ? "none" : out;
}

std::string seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

}  // namespace

std::string ha_text(const lvs::control::HaReport& ha) {
  std::string out = "ha: node " + ha.node + " is " + ha.state + ", priority " + std::to_string(ha.priority) + "\n";
  if (ha.held)
    out += "  held as standby after `lvsctl ha failover`: it does not take the VIPs back until `lvsctl ha resume`\n";
  if (!ha.fault.empty()) out += "  fault: " + ha.fault + "\n";
  if (ha.peer)
    out += "  peer " + ha.peer->address + ": priority " + std::to_string(ha.peer->priority) + ", heard " +
           seconds(ha.peer->heard_s_ago) + " ago (advert interval " + std::to_string(ha.peer->interval_ms) + " ms)\n";
  else
    out += "  peer: none heard yet\n";
  if (ha.standby)
    out += "  standby " + ha.standby->address + " reported " + seconds(ha.standby->heard_s_ago) + " ago (priority " +
           std::to_string(ha.standby->priority) + ")\n";
  if (ha.master_down_in_s) out += "  master-down timer: " + seconds(*ha.master_down_in_s) + " left\n";
  out += "  VIPs held: " + join(ha.vips) + "\n";
  out += "  sync daemons: " + join(ha.sync) + "\n";
  if (!ha.tracked_down.empty()) out += "  tracked interfaces down: " + join(ha.tracked_down) + "\n";
  std::vector<std::string> dropped;
  for (const auto& [reason, n] : ha.dropped) dropped.push_back(reason + " " + std::to_string(n));
  out += "  adverts: " + std::to_string(ha.adverts_sent) + " sent, " + std::to_string(ha.adverts_received) +
         " received, dropped: " + join(dropped) + "\n";
  if (ha.send_errors || ha.vip_errors)
    out += "  errors: " + std::to_string(ha.send_errors) + " sends, " + std::to_string(ha.vip_errors) + " VIP changes\n";
  return out;
}

}  // namespace lvsctl
