// Conformance: destinations (reals) read back exactly as written for every forwarding
// method, tunnel setting, weight and threshold, and can be edited and deleted.
#include <cstdint>

#include "conformance.h"

using namespace lvs::ipvs;
using namespace lvs::conformance;

namespace {

Destination tunnel(std::string_view addr, TunnelType type, std::uint16_t port, std::uint16_t flags) {
  Destination d = real(addr, 0, 1, Forward::tunnel);
  d.tunnel_type = type;
  d.tunnel_port = port;
  d.tunnel_flags = flags;
  return d;
}

}  // namespace

TEST_CASE("conformance: every forwarding method reads back, IPv4 and IPv6",
          "[conformance][dest][forward]") {
  auto be = fresh_backend();
  Service v4 = service(Protocol::tcp, "192.0.2.100", 80, "wlc");
  Service v6 = service(Protocol::tcp, "2001:db8::100", 80, "wlc");
  REQUIRE_OK(be->add_service(v4));
  REQUIRE_OK(be->add_service(v6));

  std::vector<Destination> r4 = {
      real("198.51.100.1", 8080, 1, Forward::masq),
      real("198.51.100.2", 80, 1, Forward::droute),
      real("198.51.100.3", 80, 1, Forward::local),
      real("198.51.100.4", 80, 1, Forward::bypass),
      tunnel("198.51.100.5", TunnelType::ipip, 0, tun_flag::nocsum),
      tunnel("198.51.100.6", TunnelType::gue, 6080, tun_flag::csum),
      tunnel("198.51.100.7", TunnelType::gue, 6081, tun_flag::remcsum),
      tunnel("198.51.100.8", TunnelType::gre, 0, tun_flag::csum),
  };
  std::vector<Destination> r6 = {
      real("2001:db8:1::1", 8080, 1, Forward::masq),
      real("2001:db8:1::2", 80, 1, Forward::droute),
      tunnel("2001:db8:1::5", TunnelType::ipip, 0, tun_flag::nocsum),
      tunnel("2001:db8:1::6", TunnelType::gue, 6080, tun_flag::csum),
      tunnel("2001:db8:1::8", TunnelType::gre, 0, tun_flag::nocsum),
  };
  for (const auto& d : r4) REQUIRE_OK(be->add_destination(v4.key, d));
  for (const auto& d : r6) REQUIRE_OK(be->add_destination(v6.key, d));

  CHECK(dests_of(*be, v4.key) == sorted(r4));
  CHECK(dests_of(*be, v6.key) == sorted(r6));
}

TEST_CASE("conformance: weights from 0 to 2^31-1 and both thresholds read back",
          "[conformance][dest][weight]") {
  auto be = fresh_backend();
  Service s = service(Protocol::tcp, "192.0.2.101", 25, "wrr");
  REQUIRE_OK(be->add_service(s));
  std::vector<Destination> rs = {
      real("198.51.100.11", 25, 0),
      real("198.51.100.12", 25, 1),
      real("198.51.100.13", 25, 2147483647),
      real("198.51.100.14", 2525, 100),
  };
  rs[3].upper_threshold = 5000;
  rs[3].lower_threshold = 4000;
  rs[2].upper_threshold = 1;  // lower may be 0 under any upper
  for (const auto& d : rs) REQUIRE_OK(be->add_destination(s.key, d));
  CHECK(dests_of(*be, s.key) == sorted(rs));
}

TEST_CASE("conformance: a tunnel real of the other family reads back with its family",
          "[conformance][dest][family]") {
  auto be = fresh_backend();
  Service v6 = service(Protocol::tcp, "2001:db8::102", 443, "rr");
  Service v4 = service(Protocol::tcp, "192.0.2.102", 443, "rr");
  REQUIRE_OK(be->add_service(v6));
  REQUIRE_OK(be->add_service(v4));
  Destination r4 = tunnel("198.51.100.21", TunnelType::ipip, 0, 0);
  Destination r6 = tunnel("2001:db8:1::21", TunnelType::gue, 5555, tun_flag::csum);
  REQUIRE_OK(be->add_destination(v6.key, r4));
  REQUIRE_OK(be->add_destination(v4.key, r6));
  CHECK(dests_of(*be, v6.key) == std::vector<Destination>{r4});
  CHECK(dests_of(*be, v4.key) == std::vector<Destination>{r6});

  // Found again by its own address for edits and deletes.
  r4.weight = 9;
  REQUIRE_OK(be->edit_destination(v6.key, r4));
  CHECK(dests_of(*be, v6.key) == std::vector<Destination>{r4});
  REQUIRE_OK(be->delete_destination(v6.key, key_of(r4)));
  REQUIRE_OK(be->delete_destination(v4.key, key_of(r6)));
  CHECK(dests_of(*be, v6.key).empty());
  CHECK(dests_of(*be, v4.key).empty());
}

TEST_CASE("conformance: reals of fwmark services read back, IPv4 and IPv6",
          "[conformance][dest][fwmark]") {
  auto be = fresh_backend();
  Service m4 = fwmark_service(Family::inet, 103, "rr");
  Service m6 = fwmark_service(Family::inet6, 103, "rr");
  REQUIRE_OK(be->add_service(m4));
  REQUIRE_OK(be->add_service(m6));
  std::vector<Destination> r4 = {real("198.51.100.31", 0, 1, Forward::droute),
                                 real("198.51.100.32", 25, 2, Forward::masq)};
  std::vector<Destination> r6 = {real("2001:db8:1::31", 0, 1, Forward::droute)};
  for (const auto& d : r4) REQUIRE_OK(be->add_destination(m4.key, d));
  for (const auto& d : r6) REQUIRE_OK(be->add_destination(m6.key, d));
  CHECK(dests_of(*be, m4.key) == sorted(r4));
  CHECK(dests_of(*be, m6.key) == sorted(r6));
}

TEST_CASE("conformance: the same real address on two ports is two reals",
          "[conformance][dest]") {
  auto be = fresh_backend();
  Service s = service(Protocol::tcp, "192.0.2.104", 25, "rr");
  REQUIRE_OK(be->add_service(s));
  std::vector<Destination> rs = {real("198.51.100.41", 25), real("198.51.100.41", 2525)};
  for (const auto& d : rs) REQUIRE_OK(be->add_destination(s.key, d));
  CHECK(dests_of(*be, s.key) == sorted(rs));
  REQUIRE_OK(be->delete_destination(s.key, key_of(rs[0])));
  CHECK(dests_of(*be, s.key) == std::vector<Destination>{rs[1]});
}

TEST_CASE("conformance: an edit changes each field of a real", "[conformance][dest][edit]") {
  auto be = fresh_backend();
  Service s = service(Protocol::tcp, "192.0.2.105", 25, "wlc");
  Destination r = real("198.51.100.51", 25, 5);
  Destination other = real("198.51.100.52", 25, 5);
  REQUIRE_OK(be->add_service(s));
  REQUIRE_OK(be->add_destination(s.key, r));
  REQUIRE_OK(be->add_destination(s.key, other));

  SECTION("weight to 0 (quiesce)") { r.weight = 0; }
  SECTION("weight up") { r.weight = 1000; }
  SECTION("thresholds") {
    r.upper_threshold = 200;
    r.lower_threshold = 150;
  }
  SECTION("forwarding to droute") { r.forward = Forward::droute; }
  SECTION("forwarding to a GUE tunnel with checksums") {
    r.forward = Forward::tunnel;
    r.tunnel_type = TunnelType::gue;
    r.tunnel_port = 7000;
    r.tunnel_flags = tun_flag::csum;
  }
  SECTION("forwarding to a GRE tunnel") {
    r.forward = Forward::tunnel;
    r.tunnel_type = TunnelType::gre;
    r.tunnel_flags = tun_flag::remcsum;
  }
  REQUIRE_OK(be->edit_destination(s.key, r));
  CHECK(dests_of(*be, s.key) == sorted({r, other}));

  // And back to plain masquerading.
  Destination plain = real("198.51.100.51", 25, 5);
  REQUIRE_OK(be->edit_destination(s.key, plain));
  CHECK(dests_of(*be, s.key) == sorted({plain, other}));
}

TEST_CASE("conformance: a real can be deleted and added again", "[conformance][dest][delete]") {
  auto be = fresh_backend();
  Service s = service(Protocol::udp, "2001:db8::106", 53, "rr");
  REQUIRE_OK(be->add_service(s));
  Destination r = real("2001:db8:1::61", 53, 2);
  REQUIRE_OK(be->add_destination(s.key, r));
  REQUIRE_OK(be->delete_destination(s.key, key_of(r)));
  CHECK(dests_of(*be, s.key).empty());
  // Re-added with other settings (the kernel may revive it from its trash).
  r.weight = 7;
  r.forward = Forward::droute;
  REQUIRE_OK(be->add_destination(s.key, r));
  CHECK(dests_of(*be, s.key) == std::vector<Destination>{r});
}

TEST_CASE("conformance: the reals of a missing service list as empty",
          "[conformance][dest]") {
  auto be = fresh_backend();
  // The kernel's dump of a missing service is empty, not an error.
  CHECK(dests_of(*be, service(Protocol::tcp, "192.0.2.107", 25).key).empty());
}

TEST_CASE("conformance: zeroing counters succeeds and leaves the table as it was",
          "[conformance][dest][zero]") {
  auto be = fresh_backend();
  Service s = service(Protocol::tcp, "192.0.2.108", 25, "rr");
  REQUIRE_OK(be->add_service(s));
  REQUIRE_OK(be->add_destination(s.key, real("198.51.100.81", 25)));
  auto before = sorted_table(*be);
  REQUIRE_OK(be->zero(s.key));
  REQUIRE_OK(be->zero());
  auto after = sorted_table(*be);
  CHECK(after == before);
  for (const auto& st : after.services) {
    CHECK(st.stats == Stats{});
    for (const auto& d : st.destinations) CHECK(d.stats == Stats{});
  }
}
