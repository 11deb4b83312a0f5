#include "ipvs/types.h"

#include <cstdio>

#include "common/overloaded.h"
#include "ipvs/backend.h"

namespace lvs::ipvs {

namespace {
std::string host_port(const IpAddress& a, std::uint16_t port) { return net::endpoint(a, port); }
}  // namespace

std::string ServiceKey::to_string() const {
  if (is_fwmark())
    return "fwmark " + std::to_string(fwmark) + (family == Family::inet6 ? " (inet6)" : " (inet)");
  return std::string(ipvs::to_string(protocol)) + " " + host_port(address, port);
}

std::string Destination::to_string() const { return host_port(address, port); }

std::string Info::version_string() const {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%u.%u.%u", (version >> 16) & 0xff, (version >> 8) & 0xff,
                version & 0xff);
  return buf;
}

const char* to_string(Protocol p) {
  switch (p) {
    case Protocol::tcp: return "tcp";
    case Protocol::udp: return "udp";
    case Protocol::sctp: return "sctp";
  }
  return "unknown-protocol";
}

const char* to_string(Forward f) {
  switch (f) {
    case Forward::masq: return "masq";
    case Forward::local: return "local";
    case Forward::tunnel: return "tunnel";
    case Forward::droute: return "droute";
    case Forward::bypass: return "bypass";
  }
  return "unknown-forward";
}

const char* to_string(TunnelType t) {
  switch (t) {
    case TunnelType::ipip: return "ipip";
    case TunnelType::gue: return "gue";
    case TunnelType::gre: return "gre";
  }
  return "unknown-tunnel";
}

const char* to_string(SyncState s) {
  switch (s) {
    case SyncState::master: return "master";
    case SyncState::backup: return "backup";
  }
  return "unknown-sync-state";
}

std::string describe(const Operation& op) {
  return std::visit(
      overloaded{
          [](const AddService& o) {
            return "add service " + o.service.key.to_string() + " (" + o.service.scheduler + ")";
          },
          [](const EditService& o) {
            return "edit service " + o.service.key.to_string() + " (" + o.service.scheduler + ")";
          },
          [](const DeleteService& o) { return "delete service " + o.key.to_string(); },
          [](const AddDest& o) {
            return "add real " + o.dest.to_string() + " to " + o.service.to_string() +
                   " (weight " + std::to_string(o.dest.weight) + ")";
          },
          [](const EditDest& o) {
            return "edit real " + o.dest.to_string() + " of " + o.service.to_string() +
                   " (weight " + std::to_string(o.dest.weight) + ")";
          },
          [](const DeleteDest& o) {
            return "delete real " + Destination{o.dest.address, o.dest.port}.to_string() +
                   " from " + o.service.to_string();
          },
      },
      op);
}

std::size_t ApplyResult::applied_count() const {
  std::size_t n = 0;
  for (bool b : applied) n += b ? 1 : 0;
  return n;
}

}  // namespace lvs::ipvs
