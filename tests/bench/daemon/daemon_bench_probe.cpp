// daemon_bench_probe: the timing side of daemon-bench.sh. It watches the IPVS table of
// the network namespace it runs in (NetlinkIpvs, one service's destinations per poll,
// so the poll stays cheap at 10,000 services) and talks to lvsd's control socket itself,
// so that a latency is measured from the request (or the kill) to the kernel's weight,
// not to a client's exit.
//
//   table  --service KEY --dests D --since-ns T [--services N] [--timeout-s S]
//          waits until service KEY has D destinations (the last one a writer adds when it
//          goes in descriptor order), then reads the whole table once to confirm N x D;
//          prints ms since T (CLOCK_REALTIME ns, from `date +%s%N` before the start).
//   status --socket PATH --since-ns T --out FILE [--timeout-s S]
//          waits until the socket accepts, sends {"command":"status"}, writes the reply
//          to FILE; prints ms since T to the connect and to the reply, and the last
//          reconcile's operation count.
//   drain  --socket PATH --name SERVICE --real ADDR --service KEY --dest ADDR:PORT
//          [--repeat N] [--timeout-s S]
//          N times: drain (request sent -> reply, and -> kernel weight 0), then enable
//          (-> reply, and -> weight back above 0). Prints each and median / max in us.
//   down   --service KEY --dest ADDR:PORT --kill PID [--log FILE --match TEXT] [--timeout-s S]
//          SIGKILLs PID (the real's listener) and prints us until the kernel weight is 0;
//          with --log, also us until a new line of FILE holds TEXT (the daemon logging
//          the health edge) and from there to the weight: the edge's own cost.
//   read   [--repeat N]
//          times N reads of the whole table (what lvsd's reconcile starts with): ms each.
//   up     --service KEY --dest ADDR:PORT [--timeout-s S]
//          prints ms until the weight is above 0 again.
//
// KEY is "tcp 192.0.2.1:1000". Exit: 0 done, 1 timed out or a request failed, 2 usage.
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipvs/netlink_ipvs.h"

namespace {

using lvs::ipvs::NetlinkIpvs;
using lvs::ipvs::ServiceKey;
using Clock = std::chrono::steady_clock;

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr, "daemon_bench_probe: %s (see the comment at the top of daemon_bench_probe.cpp)\n",
               why.c_str());
  std::exit(2);
}

[[noreturn]] void fail(const std::string& why) {
  std::fprintf(stderr, "daemon_bench_probe: %s\n", why.c_str());
  std::exit(1);
}

struct Endpoint {
  lvs::net::IpAddress address;
  std::uint16_t port = 0;
};

Endpoint parse_endpoint(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos) usage("expected ADDR:PORT, got '" + text + "'");
  auto addr = lvs::net::IpAddress::parse(text.substr(0, colon));
  char* end = nullptr;
  long port = std::strtol(text.c_str() + colon + 1, &end, 10);
  if (!addr || *end != '\0' || port < 1 || port > 65535) usage("bad ADDR:PORT '" + text + "'");
  return {*addr, static_cast<std::uint16_t>(port)};
}

ServiceKey parse_key(const std::string& text) {
  auto space = text.find(' ');
  if (space == std::string::npos) usage("expected a service key like 'tcp 192.0.2.1:1000', got '" + text + "'");
  std::string proto = text.substr(0, space);
  ServiceKey k;
  if (proto == "tcp") k.protocol = lvs::ipvs::Protocol::tcp;
  else if (proto == "udp") k.protocol = lvs::ipvs::Protocol::udp;
  else usage("unknown protocol '" + proto + "'");
  Endpoint e = parse_endpoint(text.substr(space + 1));
  k.address = e.address;
  k.family = e.address.family;
  k.port = e.port;
  return k;
}

std::int64_t realtime_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

long long us_since(Clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
}

std::unique_ptr<NetlinkIpvs> open_ipvs() {
  auto ipvs = NetlinkIpvs::open();
  if (!ipvs) fail("cannot open IPVS: " + ipvs.error().describe());
  return std::move(*ipvs);
}

// The weight of `dest` in service `key`: nullopt when the service or the destination
// is not (yet) in the table.
std::optional<std::uint32_t> weight_of(NetlinkIpvs& ipvs, const ServiceKey& key, const Endpoint& dest) {
  auto dests = ipvs.list_destinations(key);
  if (!dests) return std::nullopt;
  for (const auto& d : *dests)
    if (d.dest.address == dest.address && d.dest.port == dest.port) return d.dest.weight;
  return std::nullopt;
}

// A blocking unix stream connection to lvsd with a line reader.
class Control {
 public:
  static std::optional<Control> connect(const std::string& path) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) fail(std::string("socket: ") + std::strerror(errno));
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path.size() >= sizeof sa.sun_path) usage("socket path too long: " + path);
    std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      ::close(fd);
      return std::nullopt;
    }
    return Control(fd);
  }
  Control(Control&& o) noexcept : fd_(o.fd_), buf_(std::move(o.buf_)) { o.fd_ = -1; }
  Control& operator=(Control&& o) noexcept {
    std::swap(fd_, o.fd_);
    std::swap(buf_, o.buf_);
    return *this;
  }
  ~Control() {
    if (fd_ >= 0) ::close(fd_);
  }
  int fd() const { return fd_; }

  void send(const nlohmann::json& request) {
    std::string line = request.dump() + "\n";
    std::size_t off = 0;
    while (off < line.size()) {
      ssize_t n = ::send(fd_, line.data() + off, line.size() - off, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) fail(std::string("control socket send: ") + std::strerror(errno));
      off += static_cast<std::size_t>(n);
    }
  }
  // Reads what is there (blocking when `block`); returns the reply line once complete.
  std::optional<std::string> read_line(bool block) {
    for (;;) {
      auto nl = buf_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return line;
      }
      char chunk[65536];
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, block ? 0 : MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return std::nullopt;
      if (n < 0) fail(std::string("control socket recv: ") + std::strerror(errno));
      if (n == 0) fail("lvsd closed the control connection");
      buf_.append(chunk, static_cast<std::size_t>(n));
    }
  }

 private:
  explicit Control(int fd) : fd_(fd) {}
  int fd_ = -1;
  std::string buf_;
};

struct Args {
  std::string mode;
  std::map<std::string, std::string> opts;
  std::string get(const std::string& name) const {
    auto it = opts.find(name);
    if (it == opts.end()) usage("--" + name + " is required for " + mode);
    return it->second;
  }
  long long num(const std::string& name, long long fallback) const {
    auto it = opts.find(name);
    if (it == opts.end()) return fallback;
    char* end = nullptr;
    long long v = std::strtoll(it->second.c_str(), &end, 10);
    if (*end != '\0') usage("--" + name + " wants a number, got '" + it->second + "'");
    return v;
  }
};

Args parse_args(int argc, char** argv) {
  if (argc < 2) usage("no mode");
  Args a;
  a.mode = argv[1];
  for (int i = 2; i < argc; i += 2) {
    std::string name = argv[i];
    if (name.rfind("--", 0) != 0 || i + 1 >= argc) usage("bad argument '" + name + "'");
    a.opts[name.substr(2)] = argv[i + 1];
  }
  return a;
}

void pause_us(int us) { std::this_thread::sleep_for(std::chrono::microseconds(us)); }

double ms_since_realtime(std::int64_t since_ns) { return static_cast<double>(realtime_ns() - since_ns) / 1e6; }

int mode_table(const Args& a) {
  const ServiceKey key = parse_key(a.get("service"));
  const auto dests = static_cast<std::size_t>(a.num("dests", 4));
  const auto services = static_cast<std::size_t>(a.num("services", 0));
  const std::int64_t since = a.num("since-ns", 0);
  const auto deadline = Clock::now() + std::chrono::seconds(a.num("timeout-s", 600));
  auto ipvs = open_ipvs();
  for (;;) {
    auto d = ipvs->list_destinations(key);
    if (d && d->size() >= dests) break;
    if (Clock::now() > deadline) fail("timed out waiting for " + key.to_string());
    pause_us(20000);
  }
  const double done_ms = ms_since_realtime(since);
  std::printf("table_complete_ms=%.0f\n", done_ms);
  if (services > 0) {
    auto t = ipvs->read_table();
    if (!t) fail("cannot read the table: " + t.error().describe());
    std::size_t n = 0;
    for (const auto& s : t->services) n += s.destinations.size();
    std::printf("table_services=%zu table_destinations=%zu\n", t->services.size(), n);
    if (t->services.size() < services || n < services * dests)
      fail("the table is incomplete when its last service is: " + std::to_string(t->services.size()) +
           " services, " + std::to_string(n) + " destinations");
  }
  return 0;
}

int mode_status(const Args& a) {
  const std::string path = a.get("socket");
  const std::int64_t since = a.num("since-ns", 0);
  const auto deadline = Clock::now() + std::chrono::seconds(a.num("timeout-s", 600));
  std::optional<Control> c;
  while (!(c = Control::connect(path))) {
    if (Clock::now() > deadline) fail("timed out waiting for " + path);
    pause_us(10000);
  }
  std::printf("socket_accepts_ms=%.0f\n", ms_since_realtime(since));
  c->send({{"command", "status"}});
  auto line = c->read_line(true);
  std::printf("first_status_ms=%.0f status_bytes=%zu\n", ms_since_realtime(since), line->size());
  std::ofstream(a.get("out")) << *line << "\n";
  auto reply = nlohmann::json::parse(*line, nullptr, false);
  if (reply.is_discarded() || !reply.value("ok", false)) fail("status failed: " + line->substr(0, 300));
  const auto& r = reply["status"]["reconcile"];
  std::printf("reconcile_operations=%lld reconcile_failed=%lld\n", r.value("operations", -1LL),
              r.value("failed", -1LL));
  return 0;
}

struct Sample {
  long long reply_us = 0;
  long long kernel_us = 0;
};

// Sends `request` and polls until the reply is in and `reached(weight)` holds.
Sample round_trip(Control& c, NetlinkIpvs& ipvs, const nlohmann::json& request, const ServiceKey& key,
                  const Endpoint& dest, bool want_zero, Clock::time_point deadline) {
  Sample s{-1, -1};
  const auto t0 = Clock::now();
  c.send(request);
  for (;;) {
    if (s.reply_us < 0) {
      if (auto line = c.read_line(false)) {
        s.reply_us = us_since(t0);
        auto reply = nlohmann::json::parse(*line, nullptr, false);
        if (reply.is_discarded() || !reply.value("ok", false))
          fail(request.dump() + " failed: " + line->substr(0, 300));
      }
    }
    if (s.kernel_us < 0) {
      auto w = weight_of(ipvs, key, dest);
      if (w && (want_zero ? *w == 0 : *w > 0)) s.kernel_us = us_since(t0);
    }
    if (s.reply_us >= 0 && s.kernel_us >= 0) return s;
    if (Clock::now() > deadline) fail("timed out: " + request.dump());
    pause_us(200);
  }
}

long long median(std::vector<long long> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void summary(const char* what, const std::vector<long long>& v) {
  std::printf("%s_us median=%lld max=%lld\n", what, median(v), *std::max_element(v.begin(), v.end()));
}

int mode_drain(const Args& a) {
  const ServiceKey key = parse_key(a.get("service"));
  const Endpoint dest = parse_endpoint(a.get("dest"));
  const std::string name = a.get("name"), real = a.get("real");
  const long long repeat = std::max(1LL, a.num("repeat", 5));
  const auto timeout = std::chrono::seconds(a.num("timeout-s", 120));
  auto c = Control::connect(a.get("socket"));
  if (!c) fail("cannot connect to " + a.get("socket") + ": " + std::strerror(errno));
  auto ipvs = open_ipvs();
  auto w = weight_of(*ipvs, key, dest);
  if (!w || *w == 0) fail("the real is not in the table with a weight to drain");
  std::vector<long long> dr, dk, er, ek;
  for (long long i = 0; i < repeat; ++i) {
    Sample d = round_trip(*c, *ipvs, {{"command", "drain"}, {"real", real}, {"service", name}}, key, dest, true,
                          Clock::now() + timeout);
    Sample e = round_trip(*c, *ipvs, {{"command", "enable"}, {"real", real}, {"service", name}}, key, dest, false,
                          Clock::now() + timeout);
    std::printf("run %lld: drain reply %lld us, kernel weight 0 %lld us; enable reply %lld us, weight back %lld us\n",
                i + 1, d.reply_us, d.kernel_us, e.reply_us, e.kernel_us);
    std::fflush(stdout);
    dr.push_back(d.reply_us);
    dk.push_back(d.kernel_us);
    er.push_back(e.reply_us);
    ek.push_back(e.kernel_us);
  }
  summary("drain_to_weight0", dk);
  summary("drain_reply", dr);
  summary("enable_to_weight", ek);
  summary("enable_reply", er);
  return 0;
}

int mode_down(const Args& a) {
  const ServiceKey key = parse_key(a.get("service"));
  const Endpoint dest = parse_endpoint(a.get("dest"));
  const auto pid = static_cast<pid_t>(a.num("kill", 0));
  if (pid <= 1) usage("--kill wants the listener's pid");
  auto ipvs = open_ipvs();
  auto w = weight_of(*ipvs, key, dest);
  if (!w || *w == 0) fail("the real is not up before the kill");
  const auto deadline = Clock::now() + std::chrono::seconds(a.num("timeout-s", 60));
  // The log is read from its current end: only lines written after the kill count.
  std::ifstream log;
  std::string match, pending;
  if (a.opts.count("log") != 0) {
    log.open(a.get("log"), std::ios::binary);
    if (!log) fail("cannot open " + a.get("log"));
    log.seekg(0, std::ios::end);
    match = a.get("match");
  }
  long long edge_us = -1;
  auto read_log = [&] {
    if (match.empty() || edge_us >= 0) return;
    char chunk[65536];
    log.clear();
    while (log.read(chunk, sizeof chunk) || log.gcount() > 0) pending.append(chunk, static_cast<std::size_t>(log.gcount()));
    if (pending.find(match) != std::string::npos) edge_us = -2;  // stamped by the caller
    if (pending.size() > match.size()) pending.erase(0, pending.size() - match.size());
  };
  const auto t0 = Clock::now();
  if (::kill(pid, SIGKILL) != 0) fail("kill " + std::to_string(pid) + ": " + std::strerror(errno));
  long long weight0_us = -1;
  for (;;) {
    read_log();
    if (edge_us == -2) edge_us = us_since(t0);
    w = weight_of(*ipvs, key, dest);
    if (w && *w == 0) {
      weight0_us = us_since(t0);
      break;
    }
    if (Clock::now() > deadline) fail("timed out waiting for weight 0 after the kill");
    pause_us(1000);
  }
  std::printf("down_to_weight0_us=%lld\n", weight0_us);
  if (!match.empty() && edge_us == -1) {
    // Logged and written between the last two looks: within one poll of each other.
    read_log();
    if (edge_us == -2) edge_us = weight0_us;
  }
  if (!match.empty()) {
    if (edge_us >= 0) std::printf("edge_us=%lld edge_to_weight0_us=%lld\n", edge_us, weight0_us - edge_us);
    else std::printf("edge_us=none (the log showed no '%s' before the weight was 0)\n", match.c_str());
  }
  return 0;
}

int mode_read(const Args& a) {
  auto ipvs = open_ipvs();
  const long long repeat = std::max(1LL, a.num("repeat", 3));
  std::vector<long long> v;
  std::size_t services = 0;
  for (long long i = 0; i < repeat; ++i) {
    const auto t0 = Clock::now();
    auto t = ipvs->read_table();
    if (!t) fail("cannot read the table: " + t.error().describe());
    v.push_back(us_since(t0) / 1000);
    services = t->services.size();
  }
  std::printf("read_table_ms median=%lld max=%lld services=%zu\n", median(v), *std::max_element(v.begin(), v.end()),
              services);
  return 0;
}

int mode_up(const Args& a) {
  const ServiceKey key = parse_key(a.get("service"));
  const Endpoint dest = parse_endpoint(a.get("dest"));
  const auto deadline = Clock::now() + std::chrono::seconds(a.num("timeout-s", 60));
  auto ipvs = open_ipvs();
  const auto t0 = Clock::now();
  for (;;) {
    auto w = weight_of(*ipvs, key, dest);
    if (w && *w > 0) break;
    if (Clock::now() > deadline) fail("timed out waiting for the real to come back");
    pause_us(10000);
  }
  std::printf("up_ms=%lld\n", us_since(t0) / 1000);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  Args a = parse_args(argc, argv);
  if (a.mode == "table") return mode_table(a);
  if (a.mode == "status") return mode_status(a);
  if (a.mode == "drain") return mode_drain(a);
  if (a.mode == "down") return mode_down(a);
  if (a.mode == "up") return mode_up(a);
  if (a.mode == "read") return mode_read(a);
  usage("unknown mode '" + a.mode + "'");
}
