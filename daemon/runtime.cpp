#include "daemon/runtime.h"

#include <grp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "daemon/control_server.h"
#include "daemon/daemon.h"
#include "daemon/event_loop.h"
#include "daemon/notify.h"
#include "health/tls_context.h"
#include "ipvs/netlink_ipvs.h"
#include "ipvs/netns.h"

namespace lvsd {

namespace health = lvs::health;

namespace {

// A descriptor closed when the scope ends.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

std::optional<gid_t> group_id(const std::string& name, Logger& log, bool& failed) {
  if (name.empty()) return std::nullopt;
  if (group* g = ::getgrnam(name.c_str())) return g->gr_gid;
  log.error("control: unknown group \"" + name + "\"");
  failed = true;
  return std::nullopt;
}

// Sets the timer to `at` (nullopt: disarmed) unless it is set so already: the wake time
// is unchanged on most turns of the loop, and each turn is one wakeup per batch of checks.
void arm(int tfd, std::optional<health::TimePoint> at, std::optional<health::TimePoint>& armed) {
  if (at == armed) return;
  armed = at;
  itimerspec its{};
  if (at) {
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(at->time_since_epoch()).count();
    if (ns <= 0) ns = 1;  // 0 would disarm
    its.it_value.tv_sec = static_cast<time_t>(ns / 1000000000);
    its.it_value.tv_nsec = static_cast<long>(ns % 1000000000);
  }
  // steady_clock is CLOCK_MONOTONIC: absolute deadlines carry over as they are.
  ::timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, nullptr);
}

}  // namespace

int run(const CliOptions& cli, Logger& log) {
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGHUP);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  ::sigprocmask(SIG_BLOCK, &mask, nullptr);
  Fd sfd(::signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC));
  Fd tfd(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (sfd.fd < 0 || tfd.fd < 0) {
    log.error(std::string("cannot create signalfd/timerfd: ") + std::strerror(errno));
    return 2;
  }

  bool bad_group = false;
  AccessPolicy policy{group_id(cli.admin_group, log, bad_group), group_id(cli.read_group, log, bad_group)};
  if (bad_group) return 2;

  auto backend = cli.netns.empty() ? lvs::ipvs::NetlinkIpvs::open() : lvs::ipvs::NetlinkIpvs::open_in_netns(cli.netns);
  if (!backend) {
    log.error("ipvs: cannot open IPVS" + (cli.netns.empty() ? std::string() : " in netns " + cli.netns) + ": " +
              backend.error().describe());
    return 2;
  }

  health::SteadyClock clock;
  health::SeededRandom random(std::random_device{}());
  health::TlsContextCache tls;
  ProcSysctl sysctls(cli.netns);
  SdNotifier notifier;
  DaemonOptions dopt;
  dopt.config_path = cli.config;
  dopt.state_dir = cli.state_dir;
  dopt.netns = cli.netns;
  dopt.node = cli.node;
  const std::string schema = cli.schema;
  DaemonDeps deps{
      **backend,
      clock,
      [] { return static_cast<std::int64_t>(::time(nullptr)); },
      random,
      [&tls, netns = cli.netns](const lvs::health::ProbeConfig& c, health::TimePoint now) {
        if (netns.empty()) return health::make_probe(c, tls, now);
        // The reals are reached from the balancer's namespace: the probe's socket is
        // made there (and stays there after the thread returns).
        std::unique_ptr<health::Probe> probe;
        auto entered = lvs::ipvs::run_in_netns(netns, [&]() -> lvs::Status {
          probe = health::make_probe(c, tls, now);
          return lvs::ok();
        });
        if (!entered || !probe) probe = health::make_probe(c, tls, now);
        return probe;
      },
      sysctls,
      log,
      [schema](const std::string& path) {
        lvs::model::LoadOptions o;
        o.mode = lvs::model::LoadMode::daemon;
        o.schema_path = schema;
        return lvs::model::load_cluster_file(path, o);
      },
      default_check_env(),
      [&tls] { tls.clear(); },
  };
  Daemon daemon(dopt, deps);
  if (auto failed = daemon.start()) return static_cast<int>(*failed);

  EventLoop loop;
  ControlServer server(loop, clock, log, policy,
                       [&daemon, &notifier](const Request& r, ControlServer::Respond respond) {
                         // A reload from lvsctl is announced like one from SIGHUP.
                         if (r.command == Command::reload) notifier.reloading();
                         daemon.handle(r, std::move(respond));
                         if (r.command == Command::reload) notifier.ready();
                       });
  if (auto l = server.listen(cli.control_socket); !l) {
    log.error("control: " + l.error().describe());
    return 2;
  }

  bool stop = false;
  bool reload = false;
  auto ok1 = loop.add(sfd.fd, EPOLLIN, [&](std::uint32_t) {
    signalfd_siginfo si{};
    while (::read(sfd.fd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
      if (si.ssi_signo == SIGHUP) reload = true;
      else stop = true;
    }
  });
  std::optional<health::TimePoint> armed;  // what the timer is set to; reset once it fires
  auto ok2 = loop.add(tfd.fd, EPOLLIN, [&](std::uint32_t) {
    std::uint64_t expirations = 0;
    [[maybe_unused]] auto n = ::read(tfd.fd, &expirations, sizeof expirations);
    armed.reset();
  });
  auto ok3 = loop.add(daemon.probe_fd(), EPOLLIN, [](std::uint32_t) {});  // poll() below drives the probes
  if (!ok1 || !ok2 || !ok3) {
    log.error("cannot set up the event loop");
    return 2;
  }

  const auto watchdog_period = SdNotifier::watchdog_period();
  std::optional<health::TimePoint> next_watchdog;
  if (watchdog_period) next_watchdog = clock.now();
  std::string last_status = daemon.status_line();
  std::uint64_t seen_changes = daemon.changes();
  notifier.status(last_status);
  notifier.ready();
  log.notice("lvsd: ready; control socket " + cli.control_socket + "; " + last_status);

  while (!stop) {
    daemon.poll();
    const auto now = clock.now();
    if (next_watchdog && now >= *next_watchdog) {
      notifier.watchdog();
      next_watchdog = now + *watchdog_period;
    }
    std::optional<health::TimePoint> wake = daemon.next_wakeup();
    auto earlier = [&wake](std::optional<health::TimePoint> t) {
      if (t && (!wake || *t < *wake)) wake = t;
    };
    earlier(server.sweep());
    earlier(next_watchdog);
    arm(tfd.fd, wake, armed);
    loop.run_once(-1);
    if (reload) {
      reload = false;
      notifier.reloading();
      nlohmann::json r = daemon.reload();
      notifier.ready();
    }
    if (daemon.changes() != seen_changes) {
      seen_changes = daemon.changes();
      if (std::string s = daemon.status_line(); s != last_status) {
        last_status = s;
        notifier.status(s);
      }
    }
  }
  notifier.stopping();
  log.notice("lvsd: exiting; the IPVS table stays as it is");
  return 0;
}

}  // namespace lvsd
