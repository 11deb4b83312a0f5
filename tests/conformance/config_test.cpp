// Conformance: IPVS info, connection timeouts and the connection sync daemons.
#include <cerrno>

#include "conformance.h"

using namespace lvs::ipvs;
using namespace lvs::conformance;

TEST_CASE("conformance: info reports IPVS 1.2.1 and a power-of-two connection table",
          "[conformance][info]") {
  auto be = fresh_backend();
  auto info = be->info();
  REQUIRE(info.ok());
  CHECK(info->version_string() == "1.2.1");
  const auto size = info->conn_table_size;
  CHECK(size >= 256);  // conn_tab_bits is 8..20
  CHECK(size <= (1u << 20));
  CHECK((size & (size - 1)) == 0);
}

TEST_CASE("conformance: with no traffic the connection table is empty and every line of it readable",
          "[conformance][connections]") {
  auto be = fresh_backend();
  REQUIRE_OK(be->add_service(service(Protocol::tcp, "192.0.2.10", 25, "rr")));
  auto t = be->connections();
  INFO((t ? std::string() : t.error().describe()));
  REQUIRE(t.ok());
  CHECK(t->connections.empty());
  CHECK(t->unreadable.empty());
}

TEST_CASE("conformance: timeouts are read back as set; a zero leaves one unchanged",
          "[conformance][timeouts]") {
  auto be = fresh_backend();
  auto original = be->timeouts();
  REQUIRE(original.ok());
  CHECK(original->tcp_s > 0);
  CHECK(original->tcp_fin_s > 0);
  CHECK(original->udp_s > 0);

  Timeouts all{1000, 60, 200};
  REQUIRE_OK(be->set_timeouts(all));
  CHECK(be->timeouts().value() == all);

  REQUIRE_OK(be->set_timeouts(Timeouts{0, 30, 0}));
  CHECK(be->timeouts().value() == Timeouts{1000, 30, 200});

  REQUIRE_OK(be->set_timeouts(Timeouts{}));  // all zero: nothing changes
  CHECK(be->timeouts().value() == Timeouts{1000, 30, 200});

  REQUIRE_OK(be->set_timeouts(*original));
  CHECK(be->timeouts().value() == *original);
}

TEST_CASE("conformance: a timeout beyond the kernel's jiffies range is EINVAL and sets none",
          "[conformance][timeouts][errors]") {
  auto be = fresh_backend();
  auto original = be->timeouts();
  REQUIRE(original.ok());
  // INT_MAX / HZ seconds; Debian's kernels run at HZ=250.
  const std::uint32_t max = 2147483647u / 250u;
  REQUIRE_ERRNO(be->set_timeouts(Timeouts{10, 10, max + 1}), EINVAL);
  REQUIRE_ERRNO(be->set_timeouts(Timeouts{4000000000u, 0, 0}), EINVAL);
  CHECK(be->timeouts().value() == *original);

  REQUIRE_OK(be->set_timeouts(Timeouts{max, 0, 0}));
  CHECK(be->timeouts()->tcp_s == max);
  REQUIRE_OK(be->set_timeouts(*original));
}

TEST_CASE("conformance: a master sync daemon reports the kernel's defaults",
          "[conformance][sync]") {
  auto be = fresh_backend();
  SyncDaemon m;
  m.state = SyncState::master;
  m.interface = sync_interface();
  m.sync_id = 7;
  REQUIRE_OK(be->start_sync_daemon(m));

  auto list = be->sync_daemons();
  REQUIRE(list.ok());
  REQUIRE(list->size() == 1);
  SyncDaemon expected = m;
  expected.max_len = 1500 - 28;  // a master sends datagrams of at most 1500 bytes
  expected.group = ip("224.0.0.81");
  expected.port = 8848;
  expected.ttl = 1;
  CHECK(list->front() == expected);

  REQUIRE_OK(be->stop_sync_daemon(SyncState::master));
  CHECK(be->sync_daemons()->empty());
}

TEST_CASE("conformance: master and backup sync daemons run together with explicit settings",
          "[conformance][sync]") {
  auto be = fresh_backend();
  SyncDaemon m{SyncState::master, sync_interface(), 11, 1200, ip("239.255.1.1"), 9001, 3};
  SyncDaemon b{SyncState::backup, sync_interface(), 12, 2000, ip("239.255.1.2"), 9002, 4};
  REQUIRE_OK(be->start_sync_daemon(m));
  REQUIRE_OK(be->start_sync_daemon(b));

  auto list = be->sync_daemons();
  REQUIRE(list.ok());
  std::vector<SyncDaemon> got = *list;
  std::sort(got.begin(), got.end(), [](const SyncDaemon& x, const SyncDaemon& y) {
    return static_cast<int>(x.state) < static_cast<int>(y.state);
  });
  CHECK(got == std::vector<SyncDaemon>{m, b});

  REQUIRE_OK(be->stop_sync_daemon(SyncState::backup));
  CHECK(be->sync_daemons().value() == std::vector<SyncDaemon>{m});
  REQUIRE_OK(be->stop_sync_daemon(SyncState::master));
  CHECK(be->sync_daemons()->empty());
}

TEST_CASE("conformance: a backup sync daemon with an IPv6 group reads back",
          "[conformance][sync]") {
  auto be = fresh_backend();
  SyncDaemon b{SyncState::backup, sync_interface(), 300, 0, ip("ff02::1:2"), 0, 0};
  REQUIRE_OK(be->start_sync_daemon(b));
  SyncDaemon expected = b;
  expected.max_len = 65535 - 48;  // the loopback MTU, less IPv6 and UDP headers
  expected.port = 8848;
  expected.ttl = 1;
  CHECK(be->sync_daemons().value() == std::vector<SyncDaemon>{expected});
  REQUIRE_OK(be->stop_sync_daemon(SyncState::backup));
}

TEST_CASE("conformance: sync daemon lengths are clamped as the kernel does",
          "[conformance][sync]") {
  auto be = fresh_backend();
  SyncDaemon m{SyncState::master, sync_interface(), 1, 65535, std::nullopt, 0, 0};
  SyncDaemon b{SyncState::backup, sync_interface(), 1, 100, std::nullopt, 0, 0};
  REQUIRE_OK(be->start_sync_daemon(m));
  REQUIRE_OK(be->start_sync_daemon(b));
  auto daemons = be->sync_daemons();
  REQUIRE(daemons.ok());
  REQUIRE(daemons->size() == 2);
  for (const auto& d : *daemons) {
    INFO(Catch::StringMaker<SyncDaemon>::convert(d));
    if (d.state == SyncState::master)
      CHECK(d.max_len == 65535 - 28);  // at most an IPv4 UDP datagram
    else
      CHECK(d.max_len == 1024);  // a backup reads at least 1024 bytes
  }
  REQUIRE_OK(be->stop_sync_daemon(SyncState::master));
  REQUIRE_OK(be->stop_sync_daemon(SyncState::backup));
}

TEST_CASE("conformance: a master sync daemon keeps a length of 1 (lvsd's send each); a backup's is raised",
          "[conformance][sync]") {
  auto be = fresh_backend();
  REQUIRE_OK(be->start_sync_daemon({SyncState::master, sync_interface(), 1, 1, std::nullopt, 0, 0}));
  REQUIRE_OK(be->start_sync_daemon({SyncState::backup, sync_interface(), 1, 1, std::nullopt, 0, 0}));
  auto daemons = be->sync_daemons();
  REQUIRE(daemons.ok());
  REQUIRE(daemons->size() == 2);
  for (const auto& d : *daemons) {
    INFO(Catch::StringMaker<SyncDaemon>::convert(d));
    CHECK(d.max_len == (d.state == SyncState::master ? 1 : 1024));
  }
  REQUIRE_OK(be->stop_sync_daemon(SyncState::master));
  REQUIRE_OK(be->stop_sync_daemon(SyncState::backup));
}

TEST_CASE("conformance: starting a running sync daemon is EEXIST; stopping a stopped one ESRCH",
          "[conformance][sync][errors]") {
  auto be = fresh_backend();
  auto state = GENERATE(SyncState::master, SyncState::backup);
  INFO("state " << to_string(state));
  REQUIRE_ERRNO(be->stop_sync_daemon(state), ESRCH);
  SyncDaemon d{state, sync_interface(), 5, 0, std::nullopt, 0, 0};
  REQUIRE_OK(be->start_sync_daemon(d));
  SyncDaemon again = d;
  again.sync_id = 6;
  REQUIRE_ERRNO(be->start_sync_daemon(again), EEXIST);
  REQUIRE(be->sync_daemons()->size() == 1);
  CHECK(be->sync_daemons()->front().sync_id == 5);
  REQUIRE_OK(be->stop_sync_daemon(state));
  REQUIRE_ERRNO(be->stop_sync_daemon(state), ESRCH);
}

TEST_CASE("conformance: a sync daemon on a missing interface is ENODEV, with a unicast group "
          "EINVAL",
          "[conformance][sync][errors]") {
  auto be = fresh_backend();
  SyncDaemon d{SyncState::backup, "lvsnosuch0", 1, 0, std::nullopt, 0, 0};
  REQUIRE_ERRNO(be->start_sync_daemon(d), ENODEV);
  d.interface = sync_interface();
  d.group = ip("198.51.100.1");
  REQUIRE_ERRNO(be->start_sync_daemon(d), EINVAL);
  d.interface = "an-interface-name-too-long";
  d.group.reset();
  REQUIRE_ERRNO(be->start_sync_daemon(d), EINVAL);
  CHECK(be->sync_daemons()->empty());
}

TEST_CASE("conformance: sync daemons and reals of another family exclude each other",
          "[conformance][sync][family]") {
  auto be = fresh_backend();
  Service v6 = service(Protocol::tcp, "2001:db8::180", 80, "rr");
  REQUIRE_OK(be->add_service(v6));
  Destination mixed = real("198.51.100.180", 80, 1, Forward::tunnel);

  SECTION("a mixed-family real blocks starting a daemon") {
    REQUIRE_OK(be->add_destination(v6.key, mixed));
    REQUIRE_ERRNO(be->start_sync_daemon({SyncState::master, sync_interface(), 1, 0, {}, 0, 0}),
                  EINVAL);
    CHECK(be->sync_daemons()->empty());
    // Deleting it lifts the block.
    REQUIRE_OK(be->delete_destination(v6.key, key_of(mixed)));
    REQUIRE_OK(be->start_sync_daemon({SyncState::master, sync_interface(), 1, 0, {}, 0, 0}));
    REQUIRE_OK(be->stop_sync_daemon(SyncState::master));
  }
  SECTION("a running daemon blocks adding a mixed-family real") {
    REQUIRE_OK(be->start_sync_daemon({SyncState::backup, sync_interface(), 1, 0, {}, 0, 0}));
    REQUIRE_ERRNO(be->add_destination(v6.key, mixed), EINVAL);
    CHECK(dests_of(*be, v6.key).empty());
    // A real of the service's own family is fine.
    REQUIRE_OK(be->add_destination(v6.key, real("2001:db8:1::180", 80)));
    REQUIRE_OK(be->stop_sync_daemon(SyncState::backup));
  }
}
