// Speed of NetlinkIpvs against ipvsadm in the same VM run: programming an empty table
// with N services x 4 reals (one apply vs `ipvsadm -R`), and listing it (read_table vs
// `ipvsadm -Ln`). Each tool gets its own fresh network namespace, hence its own empty
// IPVS table (a table refilled after a flush is slower: the kernel's destination trash
// is searched on every add). Prints the times and ratios; checks that the table read
// back is the one programmed, and that the pipelined apply beats `ipvsadm -R` at least 2x.
//
//   apply_speed [SERVICES]   (default 10000; run inside tests/vm/vm-run)
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "ipvs/netlink_ipvs.h"

using namespace lvs;
using namespace lvs::ipvs;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "apply_speed: %s\n", what.c_str());
  std::exit(1);
}

double timed_shell(const std::string& cmd) {
  auto t0 = Clock::now();
  int rc = std::system(cmd.c_str());
  double s = seconds_since(t0);
  if (!WIFEXITED(rc) || WEXITSTATUS(rc) != 0) die("command failed: " + cmd);
  return s;
}

struct Plan {
  std::vector<Operation> ops;
  std::string ipvsadm_rules;
};

Plan make_plan(std::size_t services) {
  Plan p;
  p.ops.reserve(services * 5);
  for (std::size_t i = 0; i < services; ++i) {
    Service s;
    s.key.family = Family::inet;
    s.key.protocol = Protocol::tcp;
    std::string vip = "192.0.2." + std::to_string(i % 250 + 1);
    s.key.address = *IpAddress::parse(vip);
    s.key.port = static_cast<std::uint16_t>(1000 + i / 250);
    s.scheduler = "rr";
    p.ops.emplace_back(AddService{s});
    std::string svc = vip + ":" + std::to_string(s.key.port);
    p.ipvsadm_rules += "-A -t " + svc + " -s rr\n";
    for (int k = 0; k < 4; ++k) {
      Destination d;
      std::string rip = "198.51.100." + std::to_string(k + 1);
      d.address = *IpAddress::parse(rip);
      d.port = static_cast<std::uint16_t>(2000 + i % 20000);
      d.weight = static_cast<std::uint32_t>(k + 1);
      p.ops.emplace_back(AddDest{s.key, d});
      p.ipvsadm_rules += "-a -t " + svc + " -r " + rip + ":" + std::to_string(d.port) + " -m -w " +
                         std::to_string(k + 1) + "\n";
    }
  }
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t n = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 10000;
  if (n == 0 || n > 10000) die("SERVICES must be 1..10000");
  const std::string ours_ns = "lvs-speed-ours", theirs_ns = "lvs-speed-ipvsadm";
  for (const auto& ns : {ours_ns, theirs_ns}) {
    std::system(("ip netns del " + ns + " 2>/dev/null").c_str());
    // Reals must be routable, or the kernel refuses them.
    timed_shell("ip netns add " + ns + " && ip -n " + ns + " link add d0 type dummy && ip -n " + ns +
                " link set d0 up && ip -n " + ns + " addr add 198.51.100.254/24 dev d0");
  }
  NetlinkIpvs::Options options;
  if (const char* slot = std::getenv("LVS_RECEIVE_SLOT")) options.receive_slot = std::strtoul(slot, nullptr, 10);
  auto opened = NetlinkIpvs::open_in_netns(ours_ns, options);
  if (!opened) die(opened.error().describe());
  NetlinkIpvs& be = **opened;
  Plan plan = make_plan(n);
  const std::string rules_file = "/tmp/apply_speed.rules";
  std::ofstream(rules_file) << plan.ipvsadm_rules;

  std::size_t sends0 = be.sendmsg_calls();
  auto t0 = Clock::now();
  ApplyResult r = be.apply(plan.ops);
  double ours = seconds_since(t0);
  std::size_t sends = be.sendmsg_calls() - sends0;
  if (!r.ok()) die("apply failed: " + r.errors.front().describe());

  auto t_services = Clock::now();
  auto only_services = be.list_services();
  double services_dump = seconds_since(t_services);
  if (!only_services) die(only_services.error().describe());

  auto t1 = Clock::now();
  auto table = be.read_table();
  double our_list = seconds_since(t1);
  if (!table) die(table.error().describe());
  std::size_t dests = 0;
  for (const auto& s : table->services) dests += s.destinations.size();
  if (table->services.size() != n || dests != 4 * n)
    die("read back " + std::to_string(table->services.size()) + " services and " + std::to_string(dests) +
        " reals, programmed " + std::to_string(n) + " and " + std::to_string(4 * n));

  if (std::getenv("LVS_SPEED_OURS_ONLY") != nullptr) {  // for tuning runs
    std::printf("apply %.3f s (%zu sendmsg), services dump %.3f s, read_table %.3f s\n", ours, sends, services_dump,
                our_list);
    for (const auto& ns : {ours_ns, theirs_ns}) std::system(("ip netns del " + ns).c_str());
    return 0;
  }
  const std::string in_theirs = "ip netns exec " + theirs_ns + " ";
  double theirs = timed_shell(in_theirs + "ipvsadm -R < " + rules_file);
  auto check = NetlinkIpvs::open_in_netns(theirs_ns);
  if (!check) die(check.error().describe());
  auto after = (*check)->list_services();
  if (!after || after->size() != n) die("ipvsadm -R did not program the table");

  // Listing is cheap to repeat: alternate the two and keep each one's best time, so a
  // burst of load on a shared machine does not decide the ratio.
  double their_list = timed_shell(in_theirs + "ipvsadm -Ln > /tmp/apply_speed.list");
  for (int round = 0; round < 2; ++round) {
    auto t = Clock::now();
    auto again = be.read_table();
    if (!again) die(again.error().describe());
    our_list = std::min(our_list, seconds_since(t));
    their_list = std::min(their_list, timed_shell(in_theirs + "ipvsadm -Ln > /tmp/apply_speed.list"));
  }
  for (const auto& ns : {ours_ns, theirs_ns}) std::system(("ip netns del " + ns).c_str());

  std::printf("operations: %zu (%zu services x 4 reals), %zu sendmsg calls\n", plan.ops.size(), n, sends);
  std::printf("apply:  NetlinkIpvs %.3f s, ipvsadm -R %.3f s, ratio %.1fx\n", ours, theirs, theirs / ours);
  std::printf("list (best of 3 each): read_table %.3f s (a service dump alone %.3f s), ipvsadm -Ln %.3f s, "
              "ratio %.1fx\n",
              our_list, services_dump, their_list, their_list / our_list);
  if (theirs / ours < 2.0) die("the pipelined apply is less than 2x faster than ipvsadm -R");
  return 0;
}
