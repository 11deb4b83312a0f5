// Out of descriptors is the balancer's fault, not the real's: a probe that cannot get a
// socket says it could not run, and the registry retries it without counting it.
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>

#include "health/registry.h"
#include "health/transport.h"
#include "manual_clock.h"
#include "support/no_free_descriptors.h"
#include "probe_support.h"

using namespace lvs::health;
using namespace lvs::health::testing;
using namespace std::chrono_literals;

TEST_CASE("shortage: out of descriptors, a probe says the check did not run, not that the server failed") {
  ScriptedServer server;
  server.hold().start();
  SteadyClock clock;
  ProbeRunner runner(clock);
  TlsContextCache tls;
  ProbeConfig c = config_for(ProbeType::tcp, server);
  ProbeResult starved;
  {
    lvs::test::NoFreeDescriptors limit;
    starved = make_probe(c, tls, clock.now())->take_result();
  }
  INFO(starved.message);
  CHECK_FALSE(starved.ok);
  CHECK(starved.local_error());
  CHECK(starved.message.rfind(
            "check not run, this host is short of resources: cannot create a socket for 127.0.0.1:", 0) == 0);
  CHECK(starved.message.find("Too many open files") != std::string::npos);

  // The same real, with descriptors to spare: it was healthy all along.
  auto r = run_probe(c);
  INFO(r.message);
  CHECK(r.ok);
  CHECK_FALSE(r.local_error());
}

TEST_CASE("shortage: a CA file that cannot be opened for want of descriptors is a shortage too") {
  const std::string ca = test_pki().ca_file;  // made before the limit
  TlsContextCache tls;                         // empty: the CA file is read now
  ProbeConfig c;
  c.type = ProbeType::imap;
  c.tls = TlsMode::implicit;
  c.address = *lvs::net::IpAddress::parse("127.0.0.1");
  c.port = 993;
  c.ca_file = ca;
  SteadyClock clock;
  ProbeResult starved;
  {
    lvs::test::NoFreeDescriptors limit;
    starved = make_probe(c, tls, clock.now())->take_result();
  }
  INFO(starved.message);
  CHECK_FALSE(starved.ok);
  CHECK(starved.local_error());
  CHECK(starved.message.rfind(
            "check not run, this host is short of resources: TLS setup failed: cannot load CA file " + ca, 0) == 0);
}

TEST_CASE("shortage: EMFILE, ENFILE, ENOBUFS and ENOMEM are this host's shortage; a server's refusal is not") {
  CHECK(is_local_shortage(EMFILE));
  CHECK(is_local_shortage(ENFILE));
  CHECK(is_local_shortage(ENOBUFS));
  CHECK(is_local_shortage(ENOMEM));
  CHECK_FALSE(is_local_shortage(ECONNREFUSED));
  CHECK_FALSE(is_local_shortage(EHOSTUNREACH));
  CHECK_FALSE(is_local_shortage(ETIMEDOUT));
  CHECK_FALSE(is_local_shortage(0));
}

TEST_CASE("shortage: a registry out of descriptors keeps a healthy real up, retries soon and tells it once") {
  ManualClock clock;
  ReplayRandom random{{0.0, 0.5}};
  ProbeRunner runner(clock);
  TlsContextCache tls;
  std::vector<ShortageEpisode> told;
  CheckRegistry registry(
      clock, random, runner, [&tls](const ProbeConfig& c, TimePoint now) { return make_probe(c, tls, now); },
      [&told](const ShortageEpisode& e) { told.push_back(e); });
  CheckKey key;
  key.probe.type = ProbeType::tcp;
  key.probe.address = *lvs::net::IpAddress::parse("127.0.0.1");
  key.probe.port = 9;  // never reached: socket() fails first
  key.tracking.interval = 5s;
  key.tracking.fall = 1;  // one counted failure would bring it down
  key.tracking.initial = InitialHealth::up;
  std::vector<HealthEdge> edges;
  registry.subscribe(key, [&edges](const CheckKey&, const HealthEdge& e) { edges.push_back(e); });
  {
    lvs::test::NoFreeDescriptors limit;
    for (int round = 0; round < 3; ++round) {
      registry.poll();
      runner.dispatch(0);
      clock.advance(CheckRegistry::shortage_retry_for(key.tracking.interval));
    }
  }
  const Tracker* t = registry.tracker(key);
  REQUIRE(t);
  CHECK(t->health() == Health::up);
  CHECK(t->failures_in_row() == 0);
  CHECK_FALSE(t->last_result().has_value());
  CHECK(edges.empty());
  CHECK(registry.checks_put_off() == 3);  // retried each second, not each interval
  CHECK(registry.short_of_resources());
  REQUIRE(told.size() == 1);
  CHECK(told[0].ongoing);
  CHECK(told[0].first_message.find("Too many open files") != std::string::npos);
}
