// NetlinkIpvs against the real kernel (inside the VM of tests/vm): every attribute
// round-trips, pipelined apply accounts for every operation, zero/flush, network
// namespaces, and pipelined destination dumps of large tables.
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <string>

#include "ipvs/netlink_ipvs.h"

using namespace lvs;
using namespace lvs::ipvs;

namespace {

IpAddress ip(const std::string& text) {
  auto a = IpAddress::parse(text);
  INFO(text);
  REQUIRE(a.has_value());
  return *a;
}

void run(const std::string& cmd) {
  INFO(cmd);
  int rc = std::system(cmd.c_str());
  REQUIRE(WIFEXITED(rc));
  REQUIRE(WEXITSTATUS(rc) == 0);
}

std::unique_ptr<NetlinkIpvs> fresh(const NetlinkIpvs::Options& options = {}) {
  auto be = NetlinkIpvs::open(options);
  INFO((be ? std::string() : be.error().describe()));
  REQUIRE(be.ok());
  auto flushed = (*be)->flush();
  INFO((flushed ? std::string() : flushed.error().describe()));
  REQUIRE(flushed.ok());
  return std::move(*be);
}

Service service(Protocol p, const std::string& addr, std::uint16_t port, const std::string& sched) {
  Service s;
  s.key.address = ip(addr);
  s.key.family = s.key.address.family;
  s.key.protocol = p;
  s.key.port = port;
  s.scheduler = sched;
  s.netmask = s.key.family == Family::inet6 ? 128 : 0xffffffff;
  return s;
}

Service fwmark(Family f, std::uint32_t mark, const std::string& sched) {
  Service s;
  s.key.family = f;
  s.key.fwmark = mark;
  s.scheduler = sched;
  s.netmask = f == Family::inet6 ? 128 : 0xffffffff;
  return s;
}

Destination real(const std::string& addr, std::uint16_t port, std::uint32_t weight, Forward fwd = Forward::masq) {
  Destination d;
  d.address = ip(addr);
  d.family = d.address.family;
  d.port = port;
  d.weight = weight;
  d.forward = fwd;
  return d;
}

std::string v4_addr(std::size_t i, int net = 2) {
  // 192.0.2.x / 198.51.100.x / 203.0.113.x only have 256 addresses each: vary the port.
  const char* base = net == 2 ? "192.0.2." : net == 100 ? "198.51.100." : "203.0.113.";
  return base + std::to_string(i % 250 + 1);
}

// Services and their destinations, keyed for order-free comparison.
std::map<ServiceKey, std::pair<Service, std::map<DestKey, Destination>>> contents(const Table& t) {
  std::map<ServiceKey, std::pair<Service, std::map<DestKey, Destination>>> out;
  for (const auto& s : t.services) {
    auto& slot = out[s.service.key];
    slot.first = s.service;
    for (const auto& d : s.destinations) slot.second[key_of(d.dest)] = d.dest;
  }
  return out;
}

#define REQUIRE_OK(expr)                                                        \
  do {                                                                          \
    auto lvs_status_ = (expr);                                                  \
    INFO(#expr << ": " << (lvs_status_ ? std::string() : lvs_status_.error().describe())); \
    REQUIRE(lvs_status_.ok());                                                  \
  } while (0)

}  // namespace

TEST_CASE("netlink: services of every kind read back with every attribute", "[kernel][netlink]") {
  auto be = fresh();
  std::vector<Service> written;
  Service persistent = service(Protocol::tcp, "192.0.2.10", 143, "wlc");
  persistent.timeout_s = 900;
  persistent.netmask = 0xffffff00;
  written.push_back(persistent);
  Service sh = service(Protocol::tcp, "192.0.2.10", 25, "sh");
  sh.flags = svc_flag::sched1 | svc_flag::sched2;  // sh-fallback, sh-port
  written.push_back(sh);
  Service mh = service(Protocol::sctp, "192.0.2.11", 3868, "mh");
  mh.flags = svc_flag::sched1;
  written.push_back(mh);
  Service ops = service(Protocol::udp, "192.0.2.12", 53, "rr");
  ops.flags = svc_flag::onepacket;
  written.push_back(ops);
  Service sip = service(Protocol::udp, "192.0.2.13", 5060, "rr");
  sip.timeout_s = 60;
  sip.pe_name = "sip";
  written.push_back(sip);
  Service v6 = service(Protocol::tcp, "2001:db8::10", 993, "fo");
  v6.timeout_s = 3600;
  v6.netmask = 64;
  written.push_back(v6);
  written.push_back(service(Protocol::udp, "2001:db8::10", 0, "lblcr"));
  written.push_back(fwmark(Family::inet, 7, "dh"));
  written.push_back(fwmark(Family::inet6, 7, "nq"));
  for (const auto& s : written) REQUIRE_OK(be->add_service(s));

  auto listed = be->list_services();
  REQUIRE(listed.ok());
  std::map<ServiceKey, Service> got;
  for (const auto& st : *listed) got[st.service.key] = st.service;
  REQUIRE(got.size() == written.size());
  for (const auto& s : written) {
    INFO(s.key.to_string());
    REQUIRE(got.count(s.key) == 1);
    CHECK(got[s.key] == s);
  }
}

TEST_CASE("netlink: reals of every forwarding method, tunnel type and threshold read back", "[kernel][netlink]") {
  auto be = fresh();
  Service v4 = service(Protocol::tcp, "192.0.2.20", 25, "wrr");
  Service v6 = service(Protocol::tcp, "2001:db8::20", 25, "wrr");
  REQUIRE_OK(be->add_service(v4));
  REQUIRE_OK(be->add_service(v6));

  std::vector<Destination> reals4 = {
      real("198.51.100.1", 25, 1, Forward::masq),
      real("198.51.100.2", 25, 0, Forward::droute),
      real("198.51.100.3", 2525, 0x7fffffff, Forward::tunnel),
  };
  reals4[0].upper_threshold = 1000;
  reals4[0].lower_threshold = 100;
  Destination gue = real("198.51.100.4", 25, 5, Forward::tunnel);
  gue.tunnel_type = TunnelType::gue;
  gue.tunnel_port = 6080;
  gue.tunnel_flags = tun_flag::csum;
  reals4.push_back(gue);
  Destination gre = real("198.51.100.5", 25, 6, Forward::tunnel);
  gre.tunnel_type = TunnelType::gre;
  gre.tunnel_flags = tun_flag::csum;
  reals4.push_back(gre);
  // Mixed family: an IPv6 real behind an IPv4 service, tunnel only.
  Destination mixed = real("2001:db8:1::7", 25, 7, Forward::tunnel);
  reals4.push_back(mixed);

  std::vector<Destination> reals6 = {
      real("2001:db8:1::1", 25, 2, Forward::masq),
      real("2001:db8:1::2", 25, 3, Forward::droute),
      real("203.0.113.9", 25, 4, Forward::tunnel),  // IPv4 real behind IPv6 service
  };

  for (const auto& d : reals4) REQUIRE_OK(be->add_destination(v4.key, d));
  for (const auto& d : reals6) REQUIRE_OK(be->add_destination(v6.key, d));

  auto table = be->read_table();
  REQUIRE(table.ok());
  auto c = contents(*table);
  REQUIRE(c.size() == 2);
  auto check = [&](const Service& s, const std::vector<Destination>& ds) {
    const auto& got = c[s.key].second;
    REQUIRE(got.size() == ds.size());
    for (const auto& d : ds) {
      INFO(d.to_string());
      REQUIRE(got.count(key_of(d)) == 1);
      CHECK(got.at(key_of(d)) == d);
    }
  };
  check(v4, reals4);
  check(v6, reals6);

  // Counters of fresh reals are zero; connection counts too.
  for (const auto& s : table->services)
    for (const auto& d : s.destinations) {
      CHECK(d.active_conns == 0u);
      CHECK(d.stats == Stats{});
    }

  // Every attribute of a real can be edited in place.
  Destination edited = reals4[0];
  edited.forward = Forward::droute;
  edited.weight = 42;
  edited.upper_threshold = 0;
  edited.lower_threshold = 0;
  REQUIRE_OK(be->edit_destination(v4.key, edited));
  auto dests = be->list_destinations(v4.key);
  REQUIRE(dests.ok());
  auto it = std::find_if(dests->begin(), dests->end(), [&](const DestinationState& d) { return key_of(d.dest) == key_of(edited); });
  REQUIRE(it != dests->end());
  CHECK(it->dest == edited);
}

TEST_CASE("netlink: a pipelined apply of thousands of operations reports the one failure exactly",
          "[kernel][netlink][apply]") {
  auto be = fresh();
  std::vector<Operation> ops;
  std::vector<Service> services;
  for (std::size_t i = 0; i < 1000; ++i) {
    Service s = service(Protocol::tcp, v4_addr(i), static_cast<std::uint16_t>(1000 + i / 250), "rr");
    services.push_back(s);
    ops.emplace_back(AddService{s});
    ops.emplace_back(AddDest{s.key, real(v4_addr(i, 100), 25, 1)});
    ops.emplace_back(AddDest{s.key, real(v4_addr(i, 113), 25, 2)});
  }
  // In the middle: the same real added twice to service 500.
  const std::size_t bad = 1503;
  REQUIRE(std::holds_alternative<AddService>(ops[1500]));
  ops.insert(ops.begin() + bad, AddDest{services[500].key, real(v4_addr(500, 100), 25, 9)});

  const std::size_t sends_before = be->sendmsg_calls();
  const std::size_t writes_before = be->writes_sent();
  ApplyResult r = be->apply(ops);
  const std::size_t sends = be->sendmsg_calls() - sends_before;

  REQUIRE(r.applied.size() == ops.size());
  REQUIRE(r.failed_indices == std::vector<std::size_t>{bad});
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].code == EEXIST);
  const std::string words = r.errors[0].describe();
  INFO(words);
  CHECK(words.find("add real " + v4_addr(500, 100) + ":25 to tcp " + services[500].key.address.to_string()) !=
        std::string::npos);
  CHECK(words.find("File exists (errno 17)") != std::string::npos);
  CHECK(r.applied_count() == ops.size() - 1);
  CHECK_FALSE(r.applied[bad]);
  CHECK(be->writes_sent() - writes_before == ops.size());
  // Pipelined: far fewer sendmsg calls than operations.
  CHECK(sends * 100 <= ops.size() * 2);

  auto table = be->read_table();
  REQUIRE(table.ok());
  auto c = contents(*table);
  REQUIRE(c.size() == 1000);
  for (const auto& s : services) REQUIRE(c[s.key].second.size() == 2);
  // The duplicate did not change the first one's weight.
  CHECK(c[services[500].key].second.at(DestKey{ip(v4_addr(500, 100)), 25}).weight == 1u);
}

TEST_CASE("netlink: a tiny window still applies everything, one sendmsg per operation", "[kernel][netlink][apply]") {
  NetlinkIpvs::Options o;
  o.window = 1;
  auto be = fresh(o);
  std::vector<Operation> ops;
  for (std::size_t i = 0; i < 20; ++i) ops.emplace_back(AddService{service(Protocol::udp, v4_addr(i), 53, "rr")});
  std::size_t before = be->sendmsg_calls();
  ApplyResult r = be->apply(ops);
  CHECK(r.ok());
  CHECK(r.applied_count() == 20);
  CHECK(be->sendmsg_calls() - before == 20);
}

TEST_CASE("netlink: an empty apply sends nothing", "[kernel][netlink][apply]") {
  auto be = fresh();
  std::size_t writes = be->writes_sent(), sends = be->sendmsg_calls();
  ApplyResult r = be->apply({});
  CHECK(r.ok());
  CHECK(r.applied.empty());
  CHECK(be->writes_sent() == writes);
  CHECK(be->sendmsg_calls() == sends);
}

TEST_CASE("netlink: a large table reads back whole, including a service with too many reals for one dump reply",
          "[kernel][netlink][read]") {
  // Window 1 is the default; wider windows make later dumps of a batch meet EBUSY while
  // an earlier one still runs, and those must be retried.
  NetlinkIpvs::Options o;
  o.dump_window = GENERATE(std::size_t{1}, std::size_t{8});
  INFO("dump window " << o.dump_window);
  auto be = fresh(o);
  std::vector<Operation> ops;
  std::map<ServiceKey, std::size_t> want;
  // One service with 600 reals (several dump replies), around it many small ones.
  Service big = service(Protocol::tcp, "203.0.113.200", 80, "wlc");
  ops.emplace_back(AddService{big});
  for (std::size_t i = 0; i < 600; ++i)
    ops.emplace_back(AddDest{big.key, real(v4_addr(i, 100), static_cast<std::uint16_t>(8000 + i / 250), 1)});
  want[big.key] = 600;
  for (std::size_t i = 0; i < 300; ++i) {
    Service s = service(Protocol::udp, v4_addr(i), static_cast<std::uint16_t>(2000 + i / 250), "rr");
    ops.emplace_back(AddService{s});
    for (std::size_t k = 0; k < i % 5; ++k)
      ops.emplace_back(AddDest{s.key, real(v4_addr(k, 113), static_cast<std::uint16_t>(100 + i), 1)});
    want[s.key] = i % 5;
  }
  ApplyResult r = be->apply(ops);
  REQUIRE(r.ok());

  auto table = be->read_table();
  REQUIRE(table.ok());
  REQUIRE(table->services.size() == want.size());
  for (const auto& s : table->services) {
    INFO(s.service.key.to_string());
    CHECK(s.destinations.size() == want[s.service.key]);
    std::vector<DestKey> keys;
    for (const auto& d : s.destinations) keys.push_back(key_of(d.dest));
    std::sort(keys.begin(), keys.end());
    CHECK(std::adjacent_find(keys.begin(), keys.end()) == keys.end());  // no duplicates
  }
}

TEST_CASE("netlink: zero clears counters of all or one service; a missing one is ESRCH", "[kernel][netlink]") {
  auto be = fresh();
  Service s = service(Protocol::tcp, "192.0.2.30", 110, "rr");
  REQUIRE_OK(be->add_service(s));
  REQUIRE_OK(be->zero());
  REQUIRE_OK(be->zero(s.key));
  Status missing = be->zero(service(Protocol::tcp, "192.0.2.31", 110, "rr").key);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == ESRCH);
  CHECK(missing.error().message.find("tcp 192.0.2.31:110") != std::string::npos);
}

TEST_CASE("netlink: flush empties the table", "[kernel][netlink]") {
  auto be = fresh();
  REQUIRE_OK(be->add_service(service(Protocol::tcp, "192.0.2.40", 25, "rr")));
  REQUIRE_OK(be->add_service(fwmark(Family::inet6, 9, "rr")));
  REQUIRE(be->list_services()->size() == 2);
  REQUIRE_OK(be->flush());
  CHECK(be->list_services()->empty());
}

TEST_CASE("netlink: info, timeouts and a sync daemon round-trip", "[kernel][netlink][config]") {
  auto be = fresh();
  auto info = be->info();
  REQUIRE(info.ok());
  CHECK(info->version >= 0x010200u);
  CHECK(info->conn_table_size > 0u);

  auto before = be->timeouts();
  REQUIRE(before.ok());
  REQUIRE_OK(be->set_timeouts(Timeouts{901, 61, 301}));
  CHECK(be->timeouts().value() == Timeouts{901, 61, 301});
  REQUIRE_OK(be->set_timeouts(Timeouts{0, 62, 0}));  // 0: unchanged
  CHECK(be->timeouts().value() == Timeouts{901, 62, 301});
  REQUIRE_OK(be->set_timeouts(*before));

  SyncDaemon d;
  d.state = SyncState::backup;
  d.interface = "lo";
  d.sync_id = 77;
  d.max_len = 1500;
  d.group = ip("239.0.0.81");
  d.port = 8850;
  d.ttl = 2;
  REQUIRE_OK(be->start_sync_daemon(d));
  auto daemons = be->sync_daemons();
  REQUIRE(daemons.ok());
  REQUIRE(daemons->size() == 1);
  const SyncDaemon& got = daemons->front();
  CHECK(got.state == SyncState::backup);
  CHECK(got.interface == "lo");
  CHECK(got.sync_id == 77u);
  CHECK(got.group == d.group);
  CHECK(got.port == 8850);
  CHECK(got.ttl == 2);
  REQUIRE_OK(be->stop_sync_daemon(SyncState::backup));
  CHECK(be->sync_daemons()->empty());
}

TEST_CASE("netlink: errors name the object and say what is wrong", "[kernel][netlink][errors]") {
  auto be = fresh();
  Service s = service(Protocol::tcp, "192.0.2.50", 25, "rr");
  REQUIRE_OK(be->add_service(s));
  Status again = be->add_service(s);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == EEXIST);
  CHECK(again.error().describe().find("add service tcp 192.0.2.50:25") != std::string::npos);

  Service unknown = service(Protocol::tcp, "192.0.2.51", 25, "nosuchsched");
  Status bad = be->add_service(unknown);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ENOENT);
  CHECK(bad.error().message.find("unknown scheduler 'nosuchsched'") != std::string::npos);

  Status orphan = be->add_destination(unknown.key, real("198.51.100.50", 25, 1));
  REQUIRE_FALSE(orphan.ok());
  CHECK(orphan.error().code == ESRCH);
  CHECK(orphan.error().message.find("no such service") != std::string::npos);
}

TEST_CASE("netlink: a backend opened in a network namespace programs only that namespace's table",
          "[kernel][netlink][netns]") {
  const std::string ns = "lvs-c1-netlink";
  std::system(("ip netns del " + ns + " 2>/dev/null").c_str());
  run("ip netns add " + ns);
  // A real must be reachable (the kernel refuses an unroutable one with EINVAL).
  run("ip -n " + ns + " link add lvsd0 type dummy && ip -n " + ns + " link set lvsd0 up && ip -n " + ns +
      " addr add 198.51.100.1/24 dev lvsd0");
  struct Cleanup {
    std::string ns;
    ~Cleanup() { std::system(("ip netns del " + ns).c_str()); }
  } cleanup{ns};

  auto root = fresh();
  Service mine = service(Protocol::tcp, "192.0.2.60", 25, "rr");
  REQUIRE_OK(root->add_service(mine));

  auto inside = NetlinkIpvs::open_in_netns(ns);
  INFO((inside ? std::string() : inside.error().describe()));
  REQUIRE(inside.ok());
  auto& be = **inside;
  CHECK(be.list_services()->empty());  // a fresh namespace has its own, empty table
  Service theirs = service(Protocol::tcp, "192.0.2.61", 25, "wrr");
  REQUIRE_OK(be.add_service(theirs));
  REQUIRE_OK(be.add_destination(theirs.key, real("198.51.100.61", 25, 3)));

  auto in_ns = be.read_table();
  REQUIRE(in_ns.ok());
  REQUIRE(in_ns->services.size() == 1);
  CHECK(in_ns->services[0].service == theirs);

  // The root table is untouched, and this thread is back in the root namespace.
  auto in_root = root->list_services();
  REQUIRE(in_root.ok());
  REQUIRE(in_root->size() == 1);
  CHECK(in_root->front().service == mine);
  auto reopened = NetlinkIpvs::open();
  REQUIRE(reopened.ok());
  CHECK((*reopened)->list_services()->size() == 1);
}

TEST_CASE("netlink: opening a missing namespace names it", "[kernel][netlink][netns]") {
  auto be = NetlinkIpvs::open_in_netns("lvs-no-such-ns");
  REQUIRE_FALSE(be.ok());
  CHECK(be.error().code == ENOENT);
  CHECK(be.error().message.find("lvs-no-such-ns") != std::string::npos);
}

TEST_CASE("netlink: with a receive buffer too small for the ACKs, every lost one is reported and the window shrinks",
          "[kernel][netlink][apply][enobufs]") {
  NetlinkIpvs::Options o;
  o.receive_buffer = 4096;  // a few ACKs at most, against a window of 256
  o.window = 256;
  auto be = fresh(o);
  std::vector<Operation> ops;
  for (std::size_t i = 0; i < 1200; ++i)
    ops.emplace_back(AddService{service(Protocol::tcp, v4_addr(i), static_cast<std::uint16_t>(3000 + i / 250), "rr")});
  ApplyResult r = be->apply(ops);

  // Every operation is accounted for: acknowledged, or reported as lost in words.
  REQUIRE(r.applied.size() == ops.size());
  REQUIRE(r.errors.size() == r.failed_indices.size());
  CHECK(r.applied_count() + r.errors.size() == ops.size());
  REQUIRE_FALSE(r.errors.empty());  // the overflow did happen
  for (const auto& e : r.errors) {
    CHECK(e.code == ENOBUFS);
    CHECK(e.message.find("acknowledgement was lost") != std::string::npos);
  }
  // The window shrank, so the last operations were acknowledged.
  CHECK(r.applied.back());
  // Only ACKs were lost: the kernel applied every operation.
  CHECK(be->list_services()->size() == ops.size());
}

TEST_CASE("netlink: without CAP_NET_ADMIN the error says so in plain words", "[kernel][netlink][errors]") {
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // Unprivileged: nobody, no supplementary groups.
    if (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0) _exit(10);
    auto be = NetlinkIpvs::open();
    if (!be) _exit(11);
    Status s = (*be)->add_service(service(Protocol::tcp, "192.0.2.70", 25, "rr"));
    if (s.ok()) _exit(12);
    if (s.error().code != EPERM) _exit(13);
    if (s.error().message != "add service tcp 192.0.2.70:25 (rr): needs CAP_NET_ADMIN (run as root)") _exit(14);
    auto list = (*be)->list_services();
    if (list.ok() || list.error().message.find("needs CAP_NET_ADMIN (run as root)") == std::string::npos) _exit(15);
    _exit(0);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);  // 10: could not drop privileges; 11..15: see above
}
