#include "daemon/runtime.h"

#include <grp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <random>
#include <system_error>

#include "daemon/control_server.h"
#include "daemon/daemon.h"
#include "daemon/event_loop.h"
#include "daemon/fd_limit.h"
#include "daemon/metrics_server.h"
#include "daemon/nft_grace.h"
#include "daemon/notify.h"
#include "daemon/probe_netns.h"
#include "ha/announce.h"
#include "ha/ha_state.h"
#include "ha/local_addresses.h"
#include "ha/vip_addresses.h"
#include "ha/vrrp_socket.h"
#include "ipvs/ownership.h"
#include "health/tls_context.h"
#include "ipvs/netlink_ipvs.h"
#include "nft/nft_marks.h"

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

}  // namespace

int run(const CliOptions& cli, Logger& log) {
  ::signal(SIGPIPE, SIG_IGN);
  FdLimit fd_limit{};
  if (auto raised = raise_fd_limit()) fd_limit = *raised;
  else log.warning("file descriptors: " + raised.error().describe());
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGHUP);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  ::sigprocmask(SIG_BLOCK, &mask, nullptr);
  Fd sfd(::signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC));
  if (sfd.fd < 0) {
    log.error(std::string("lvsd: cannot create the signalfd: ") + std::strerror(errno));
    return kExitStartFailed;
  }
  std::optional<EventLoop> loop;
  std::optional<WakeTimer> timer;
  try {
    loop.emplace();
    timer.emplace();
  } catch (const std::system_error& e) {
    log.error(std::string("lvsd: cannot create the event loop: ") + e.what());
    return kExitStartFailed;
  }

  bool bad_group = false;
  AccessPolicy policy{group_id(cli.admin_group, log, bad_group), group_id(cli.read_group, log, bad_group)};
  if (bad_group) return kExitStartFailed;

  // Probes are made in the namespace too: enter it now, so a failure stops the start
  // here instead of every probe silently running from the host's namespace.
  std::optional<ProbeNetns> probe_netns;
  if (!cli.netns.empty()) {
    auto opened = ProbeNetns::open(cli.netns);
    if (!opened) {
      log.error("health: cannot make probes in the --netns namespace: " + opened.error().describe());
      return kExitStartFailed;
    }
    probe_netns.emplace(std::move(*opened));
  }

  auto backend = cli.netns.empty() ? lvs::ipvs::NetlinkIpvs::open() : lvs::ipvs::NetlinkIpvs::open_in_netns(cli.netns);
  if (!backend) {
    log.error("ipvs: cannot open IPVS" + (cli.netns.empty() ? std::string() : " in netns " + cli.netns) + ": " +
              backend.error().describe());
    return kExitStartFailed;
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
  dopt.retire_deadline_s = cli.retire_deadline_s;
  const std::string schema = cli.schema;
  DaemonDeps deps{
      **backend,
      clock,
      [] { return static_cast<std::int64_t>(::time(nullptr)); },
      random,
      [&tls, &probe_netns, &log, logged = false](const lvs::health::ProbeConfig& c, health::TimePoint now) mutable {
        if (!probe_netns) return health::make_probe(c, tls, now);
        // The reals are reached from the balancer's namespace: the probe's socket is
        // made there (and stays there after the thread returns). Never from the host's:
        // failing that, the check fails (each probe says why; the log says it once).
        std::unique_ptr<health::Probe> probe;
        auto entered = probe_netns->run([&] { probe = health::make_probe(c, tls, now); });
        if (!entered) {
          if (!logged) log.error("health: " + entered.error().describe() + "; checks fail until it works again");
          logged = true;
          return failed_probe(entered.error().describe(), now);
        }
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
  // HA's sockets (VRRP, rtnetlink, ARP/NA, link flags) live where IPVS does: in --netns
  // when given. They are made inside it once; the notify command runs from here.
  auto in_netns = [&](const std::function<void()>& fn) -> lvs::Status {
    if (!probe_netns) {
      fn();
      return lvs::ok();
    }
    return probe_netns->run(fn);
  };
  // The firewall marks of marked fwmark services: the nftables socket is made in the
  // namespace, like IPVS's.
  std::unique_ptr<lvs::nft::NftMarks> marks;
  {
    lvs::Status opened = lvs::ok();
    auto entered = in_netns([&] {
      auto m = lvs::nft::NftMarks::open();
      if (!m) opened = m.error();
      else marks = std::move(*m);
    });
    if (!entered) opened = entered;
    if (!opened) {
      log.error("marks: " + opened.error().describe());
      return kExitStartFailed;
    }
    deps.marks = marks.get();
  }
  std::unique_ptr<lvs::ha::AddressBackend> ha_addresses;
  lvs::ha::KernelAnnouncer ha_announcer;
  std::unique_ptr<NftGrace> ha_grace;
  deps.make_ha = [&](const lvs::model::Cluster& c) -> lvs::Result<std::unique_ptr<HaPart>> {
    if (!c.ha) return std::unique_ptr<HaPart>{};
    lvs::Result<std::vector<lvs::net::IpAddress>> local = std::vector<lvs::net::IpAddress>{};
    lvs::Result<KernelLinks> links = lvs::make_error(0, "not opened");
    lvs::Status opened = lvs::ok();
    auto entered = in_netns([&] {
      local = lvs::ha::local_addresses();
      links = KernelLinks::open();
      auto rtnl = lvs::ha::RtnlAddresses::open();
      if (!rtnl) opened = rtnl.error();
      else ha_addresses = std::move(*rtnl);
      if (opened) opened = ha_announcer.open();
      // The takeover grace is worth a takeover's reset connections, not a start refused.
      if (auto g = NftGrace::open(); !g) log.warning("ha: takeover grace off: " + g.error().describe());
      else ha_grace = std::move(*g);
    });
    if (!entered) return entered.error();
    if (!local) return local.error();
    if (!links) return links.error();
    if (!opened) return opened.error();
    // The kernel reaps the notify commands (nothing else here waits for children).
    ::signal(SIGCHLD, SIG_IGN);
    HaPartDeps hd{**backend,
                  *ha_addresses,
                  ha_announcer,
                  [&](const lvs::ha::SocketConfig& sc) -> lvs::Result<std::unique_ptr<lvs::ha::PacketIo>> {
                    lvs::Result<lvs::ha::VrrpSocket> sock = lvs::make_error(0, "not opened");
                    auto in = in_netns([&] { sock = lvs::ha::VrrpSocket::open(sc); });
                    if (!in) return in.error();
                    if (!sock) return sock.error();
                    return std::unique_ptr<lvs::ha::PacketIo>(new lvs::ha::VrrpSocket(std::move(*sock)));
                  },
                  [l = *links](const std::string& i) { return l.up(i); },
                  spawn_detached,
                  log,
                  [](const std::string& path) { return lvs::read_file_capped(path, 64 * 1024, "the HMAC key file"); },
                  lvs::ha::ha_state_path(cli.state_dir, cli.netns),
                  *local,
                  ha_grace.get()};
    return HaPart::create(c, cli.node, std::move(hd));
  };
  // Events go to the control socket's subscribers; the server is made after the daemon.
  ControlServer* events_to = nullptr;
  deps.publish = [&events_to](const nlohmann::json& event) {
    if (events_to) events_to->publish(event);
  };
  std::optional<Daemon> daemon_holder;
  try {
    daemon_holder.emplace(dopt, deps);
  } catch (const std::system_error& e) {
    log.error(std::string("lvsd: cannot create the probe runner: ") + e.what());
    return kExitStartFailed;
  }
  Daemon& daemon = *daemon_holder;

  // Listening before the start: if another lvsd answers on this socket, nothing has
  // been touched yet. Clients wait in the queue until the loop runs.
  const ControlLimits control_limits;
  ControlServer server(*loop, clock, log, policy,
                       [&daemon, &notifier](const Request& r, ControlServer::Respond respond) {
                         // A reload from lvsctl is announced like one from SIGHUP.
                         if (r.command == Command::reload) notifier.reloading();
                         daemon.handle(r, std::move(respond));
                         if (r.command == Command::reload) notifier.ready();
                       },
                       control_limits);
  events_to = &server;
  if (auto l = server.listen(cli.control_socket); !l) {
    log.error("control: " + l.error().describe());
    return kExitStartFailed;
  }

  // Also before the start: a port taken by someone else stops lvsd before it touches anything.
  std::optional<MetricsServer> metrics;
  if (!cli.metrics.empty()) {
    auto at = parse_listen_address(cli.metrics);
    if (!at) {
      log.error("metrics: " + at.error().describe());
      return kExitStartFailed;
    }
    metrics.emplace(*loop, clock, log, [&daemon]() -> MetricsServer::Step {
      return [&daemon, cursor = MetricsCursor{}](std::string& out, std::size_t budget) mutable {
        return daemon.metrics_step(cursor, out, budget);
      };
    });
    if (auto l = metrics->listen(*at); !l) {
      log.error("metrics: " + l.error().describe());
      return kExitStartFailed;
    }
    log.info("metrics: serving http://" + lvs::net::endpoint(at->address, metrics->port()) + "/metrics");
  }

  if (auto failed = daemon.start()) return static_cast<int>(*failed);

  // Checks come and go with reloads: warn whenever the need outgrows the limit.
  std::optional<std::size_t> fd_checked_for;
  auto check_fd_limit = [&] {
    const std::size_t checks = daemon.check_count();
    if (checks == fd_checked_for) return;
    fd_checked_for = checks;
    if (auto w = fd_limit_warning(checks, control_limits.max_clients, fd_limit)) log.warning(*w);
    else
      log.info("file descriptors: limit " + std::to_string(fd_limit.soft) + ", may need " +
               std::to_string(fd_needed(checks, control_limits.max_clients)));
  };
  check_fd_limit();

  bool stop = false;
  bool reload = false;
  auto ok1 = loop->add(sfd.fd, EPOLLIN, [&](std::uint32_t) {
    signalfd_siginfo si{};
    while (::read(sfd.fd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
      if (si.ssi_signo == SIGHUP) reload = true;
      else stop = true;
    }
  });
  auto ok2 = loop->add(timer->fd(), EPOLLIN, [&](std::uint32_t) { timer->fired(); });
  auto ok3 = loop->add(daemon.probe_fd(), EPOLLIN, [](std::uint32_t) {});  // poll() below drives the probes
  // poll() below reads the adverts too.
  lvs::Status ok4 = daemon.ha_fd() < 0 ? lvs::ok() : loop->add(daemon.ha_fd(), EPOLLIN, [](std::uint32_t) {});
  for (const lvs::Status* ok : {&ok1, &ok2, &ok3, &ok4}) {
    if (!*ok) {
      log.error("lvsd: cannot set up the event loop: " + ok->error().describe());
      return kExitStartFailed;
    }
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
    if (metrics) earlier(metrics->sweep());
    earlier(next_watchdog);
    // Without its timer or its wait the loop would miss every deadline or spin: stop,
    // and let the service manager restart lvsd (the table stays as it is).
    if (auto armed = timer->arm(wake); !armed) {
      log.error("lvsd: cannot set the wakeup timer: " + armed.error().describe() + "; exiting");
      notifier.stopping();
      daemon.shutdown();  // no VIP may stay behind a dead loop
      return kExitLoopFailed;
    }
    if (auto ran = loop->run_once(-1); !ran) {
      log.error("lvsd: the event loop failed: " + ran.error().describe() + "; exiting");
      notifier.stopping();
      daemon.shutdown();  // no VIP may stay behind a dead loop
      return kExitLoopFailed;
    }
    if (reload) {
      reload = false;
      notifier.reloading();
      nlohmann::json r = daemon.reload();
      notifier.ready();
    }
    check_fd_limit();
    if (daemon.changes() != seen_changes) {
      seen_changes = daemon.changes();
      if (std::string s = daemon.status_line(); s != last_status) {
        last_status = s;
        notifier.status(s);
      }
    }
  }
  notifier.stopping();
  // A master says goodbye (priority 0) so the peer takes over at once; no VIP stays.
  daemon.shutdown();
  log.notice("lvsd: exiting; the IPVS table and the firewall marks stay as they are");
  return kExitStopped;
}

}  // namespace lvsd
