// The reconciler's pure diff: ordering, edits instead of delete+add, normalization,
// ownership and prune rules, and size.
#include <catch2/catch.hpp>

#include <chrono>

#include "support/ipvs_builders.h"

using namespace lvs::ipvs;
using namespace lvs::ipvs::test;

namespace {

DesiredState one_service(const Service& s, std::vector<Destination> dests) {
  return DesiredState{{DesiredService{s, std::move(dests)}}};
}

template <class T>
std::size_t count_of(const Plan& p) {
  std::size_t n = 0;
  for (const auto& op : p.operations) n += std::holds_alternative<T>(op) ? 1 : 0;
  return n;
}

template <class T>
std::ptrdiff_t index_of(const Plan& p, std::size_t nth = 0) {
  for (std::size_t i = 0; i < p.operations.size(); ++i)
    if (std::holds_alternative<T>(p.operations[i]) && nth-- == 0) return static_cast<std::ptrdiff_t>(i);
  return -1;
}

}  // namespace

TEST_CASE("diff: nothing desired and nothing observed yields an empty plan") {
  auto plan = diff({}, {}, {});
  CHECK(plan.empty());
  CHECK(plan.adopted.empty());
}

TEST_CASE("diff: a new service is added before its reals") {
  auto s = tcp_service("192.0.2.10", 25);
  auto plan = diff(one_service(s, {real("198.51.100.11", 25), real("198.51.100.12", 25)}), {}, {});
  REQUIRE(plan.operations.size() == 3);
  REQUIRE(std::holds_alternative<AddService>(plan.operations[0]));
  CHECK(std::get<AddService>(plan.operations[0]).service.key == s.key);
  REQUIRE(std::holds_alternative<AddDest>(plan.operations[1]));
  CHECK(std::get<AddDest>(plan.operations[1]).service == s.key);
  CHECK(std::get<AddDest>(plan.operations[1]).dest.address == ip("198.51.100.11"));
  CHECK(std::get<AddDest>(plan.operations[2]).dest.address == ip("198.51.100.12"));
}

TEST_CASE("diff: a weight change yields exactly one EditDest") {
  auto s = tcp_service("192.0.2.10", 110);
  Table have{{observed(s, {real("198.51.100.11", 110, 1), real("198.51.100.12", 110, 1)})}};
  auto plan = diff(one_service(s, {real("198.51.100.11", 110, 1), real("198.51.100.12", 110, 5)}),
                   have, Ownership{{s.key}});
  REQUIRE(plan.operations.size() == 1);
  REQUIRE(std::holds_alternative<EditDest>(plan.operations[0]));
  const auto& e = std::get<EditDest>(plan.operations[0]);
  CHECK(e.service == s.key);
  CHECK(e.dest.address == ip("198.51.100.12"));
  CHECK(e.dest.weight == 5);
}

TEST_CASE("diff: scheduler, flags, persistence and engine changes are one EditService") {
  auto s = tcp_service("192.0.2.10", 143, "fo");
  Table have{{observed(s, {real("198.51.100.11", 143)})}};
  auto want = s;
  SECTION("scheduler") { want.scheduler = "rr"; }
  SECTION("persistence timeout") { want.timeout_s = 900; }
  SECTION("persistence netmask") {
    want.timeout_s = 900;
    have.services[0].service.timeout_s = 900;
    have.services[0].service.flags |= svc_flag::persistent;
    want.netmask = 0xffffff00;
  }
  SECTION("one-packet") { want.flags |= svc_flag::onepacket; }
  SECTION("scheduler flags") {
    want.scheduler = "sh";
    want.flags |= svc_flag::sched1 | svc_flag::sched2;
  }
  SECTION("persistence engine") {
    want.timeout_s = 60;
    want.pe_name = "sip";
  }
  auto plan = diff(one_service(want, {real("198.51.100.11", 143)}), have, Ownership{{s.key}});
  REQUIRE(plan.operations.size() == 1);
  REQUIRE(std::holds_alternative<EditService>(plan.operations[0]));
  CHECK(std::get<EditService>(plan.operations[0]).service == normalized(want));
}

TEST_CASE("diff: forwarding, tunnel attributes and thresholds are one EditDest each") {
  auto s = tcp_service("192.0.2.10", 25);
  Table have{{observed(s, {real("198.51.100.11", 25)})}};
  auto d = real("198.51.100.11", 25);
  SECTION("forwarding method") { d.forward = Forward::droute; }
  SECTION("tunnel type and port") {
    d.forward = Forward::tunnel;
    d.tunnel_type = TunnelType::gue;
    d.tunnel_port = 6080;
    d.tunnel_flags = tun_flag::csum;
  }
  SECTION("thresholds") {
    d.upper_threshold = 100;
    d.lower_threshold = 10;
  }
  auto plan = diff(one_service(s, {d}), have, Ownership{{s.key}});
  REQUIRE(plan.operations.size() == 1);
  REQUIRE(std::holds_alternative<EditDest>(plan.operations[0]));
  CHECK(std::get<EditDest>(plan.operations[0]).dest == normalized(d));
  CHECK(count_of<DeleteDest>(plan) == 0);
  CHECK(count_of<DeleteService>(plan) == 0);
}

TEST_CASE("diff: a real's port change is a key change: delete before add") {
  auto s = tcp_service("192.0.2.10", 25);
  Table have{{observed(s, {real("198.51.100.11", 25)})}};
  auto plan = diff(one_service(s, {real("198.51.100.11", 2525)}), have, Ownership{{s.key}});
  REQUIRE(plan.operations.size() == 2);
  REQUIRE(std::holds_alternative<DeleteDest>(plan.operations[0]));
  CHECK(std::get<DeleteDest>(plan.operations[0]).dest == DestKey{ip("198.51.100.11"), 25});
  REQUIRE(std::holds_alternative<AddDest>(plan.operations[1]));
  CHECK(std::get<AddDest>(plan.operations[1]).dest.port == 2525);
}

TEST_CASE("diff: a table as the kernel reports it compares equal to the desired one") {
  SECTION("hashed and persistent flags, IPv4 netmask") {
    auto s = tcp_service("192.0.2.10", 993, "rr");
    s.timeout_s = 900;  // desired: persistence by timeout alone
    auto k = s;
    k.flags = svc_flag::persistent | svc_flag::hashed;
    Table have{{observed(k, {real("198.51.100.11", 993)})}};
    CHECK(diff(one_service(s, {real("198.51.100.11", 993)}), have, {}).empty());
  }
  SECTION("IPv6 service without persistence: prefix-length netmask") {
    auto s = tcp_service("2001:db8::10", 25);
    s.netmask = 0xffffffff;  // struct default, meaningless without persistence
    auto k = tcp_service("2001:db8::10", 25);
    k.netmask = 128;
    Table have{{observed(k, {real("2001:db8:1::11", 25)})}};
    CHECK(diff(one_service(s, {real("2001:db8:1::11", 25)}), have, {}).empty());
  }
  SECTION("destination family follows its address; tunnel fields ignored unless tunnel") {
    auto s = tcp_service("192.0.2.10", 25);
    auto want = real("198.51.100.11", 25);
    want.family = Family::inet6;  // wrong but harmless: the address says inet
    want.tunnel_port = 4242;      // meaningless for masq
    Table have{{observed(s, {real("198.51.100.11", 25)})}};
    CHECK(diff(one_service(s, {want}), have, {}).empty());
  }
  SECTION("fwmark service read back with default protocol, address and port") {
    Service s;
    s.key.family = Family::inet6;
    s.key.fwmark = 7;
    s.key.protocol = Protocol::udp;
    s.key.address = ip("2001:db8::10");
    s.key.port = 53;
    s.netmask = 128;
    s.scheduler = "sh";
    Service k = s;
    k.key = ServiceKey{};
    k.key.family = Family::inet6;
    k.key.fwmark = 7;
    Table have{{observed(k, {real("2001:db8:1::11", 0)})}};
    CHECK(diff(one_service(s, {real("2001:db8:1::11", 0)}), have, {}).empty());
  }
}

TEST_CASE("diff: a foreign service is left alone unless prune is asked for") {
  auto mine = tcp_service("192.0.2.10", 25);
  auto foreign = tcp_service("192.0.2.99", 80);
  Table have{{observed(mine, {real("198.51.100.11", 25)}),
              observed(foreign, {real("198.51.100.50", 80), real("198.51.100.51", 80)})}};
  auto want = one_service(mine, {real("198.51.100.11", 25)});

  auto kept = diff(want, have, Ownership{{mine.key}});
  CHECK(kept.empty());
  REQUIRE(kept.left_alone.size() == 1);
  CHECK(kept.left_alone[0] == foreign.key);

  auto pruned = diff(want, have, Ownership{{mine.key}}, DiffOptions{true});
  REQUIRE(pruned.operations.size() == 3);
  CHECK(std::holds_alternative<DeleteDest>(pruned.operations[0]));
  CHECK(std::holds_alternative<DeleteDest>(pruned.operations[1]));
  REQUIRE(std::holds_alternative<DeleteService>(pruned.operations[2]));
  CHECK(std::get<DeleteService>(pruned.operations[2]).key == foreign.key);
  CHECK(pruned.left_alone.empty());
}

TEST_CASE("diff: a service removed from the descriptor is deleted when we own it, reals first") {
  auto kept = tcp_service("192.0.2.10", 25);
  auto gone = tcp_service("192.0.2.10", 110);
  Table have{{observed(gone, {real("198.51.100.12", 110), real("198.51.100.11", 110)}),
              observed(kept, {real("198.51.100.11", 25)})}};
  auto plan = diff(one_service(kept, {real("198.51.100.11", 25)}), have,
                   Ownership{{kept.key, gone.key}});
  REQUIRE(plan.operations.size() == 3);
  auto del_svc = index_of<DeleteService>(plan);
  REQUIRE(del_svc == 2);
  CHECK(std::get<DeleteService>(plan.operations[2]).key == gone.key);
  // reals in address order, before their service
  CHECK(std::get<DeleteDest>(plan.operations[0]).dest.address == ip("198.51.100.11"));
  CHECK(std::get<DeleteDest>(plan.operations[1]).dest.address == ip("198.51.100.12"));
}

TEST_CASE("diff: a real the descriptor no longer lists is removed from its service") {
  auto s = tcp_service("192.0.2.10", 25);
  Table have{{observed(s, {real("198.51.100.11", 25), real("198.51.100.99", 25)})}};
  auto plan = diff(one_service(s, {real("198.51.100.11", 25)}), have, {});
  REQUIRE(plan.operations.size() == 1);
  REQUIRE(std::holds_alternative<DeleteDest>(plan.operations[0]));
  CHECK(std::get<DeleteDest>(plan.operations[0]).dest.address == ip("198.51.100.99"));
}

TEST_CASE("diff: a desired service already in the kernel but not recorded is adopted") {
  auto s = tcp_service("192.0.2.10", 25);
  Table have{{observed(s, {real("198.51.100.11", 25)})}};
  auto plan = diff(one_service(s, {real("198.51.100.11", 25)}), have, {});
  CHECK(plan.empty());
  REQUIRE(plan.adopted.size() == 1);
  CHECK(plan.adopted[0] == s.key);
  CHECK(diff(one_service(s, {real("198.51.100.11", 25)}), have, Ownership{{s.key}}).adopted.empty());
}

TEST_CASE("diff: a duplicated desired service or real counts once") {
  auto s = tcp_service("192.0.2.10", 25);
  DesiredState want{{DesiredService{s, {real("198.51.100.11", 25), real("198.51.100.11", 25, 9)}},
                     DesiredService{s, {}}}};
  auto plan = diff(want, {}, {});
  REQUIRE(plan.operations.size() == 2);
  CHECK(std::get<AddDest>(plan.operations[1]).dest.weight == 1);
}

TEST_CASE("diff: deletions come before additions across services") {
  auto gone = tcp_service("192.0.2.10", 110);
  auto added = tcp_service("192.0.2.10", 995);
  Table have{{observed(gone, {real("198.51.100.11", 110)})}};
  auto plan = diff(one_service(added, {real("198.51.100.11", 995)}), have, Ownership{{gone.key}});
  REQUIRE(plan.operations.size() == 4);
  CHECK(index_of<DeleteDest>(plan) < index_of<DeleteService>(plan));
  CHECK(index_of<DeleteService>(plan) < index_of<AddService>(plan));
  CHECK(index_of<AddService>(plan) < index_of<AddDest>(plan));
}

TEST_CASE("diff: 10,000 services x 4 reals, unchanged, yields no writes") {
  DesiredState want;
  Table have;
  want.services.reserve(10000);
  for (int i = 0; i < 10000; ++i) {
    Service s;
    s.key.family = Family::inet;
    s.key.protocol = Protocol::tcp;
    s.key.address = ip("192.0.2.0");
    s.key.address.bytes[2] = static_cast<std::uint8_t>(2 + i / 60000);
    s.key.address.bytes[3] = static_cast<std::uint8_t>(i % 250);
    s.key.port = static_cast<std::uint16_t>(1000 + i / 250);
    s.scheduler = "rr";
    std::vector<Destination> dests;
    for (int r = 0; r < 4; ++r) {
      auto d = real("198.51.100.0", s.key.port, 1);
      d.address.bytes[3] = static_cast<std::uint8_t>(10 + r);
      dests.push_back(d);
    }
    have.services.push_back(observed(s, dests));
    std::reverse(dests.begin(), dests.end());  // the kernel lists them in another order
    want.services.push_back(DesiredService{s, dests});
  }
  std::reverse(have.services.begin(), have.services.end());
  Ownership owned;
  for (const auto& s : want.services) owned.services.insert(s.service.key);

  auto t0 = std::chrono::steady_clock::now();
  auto same = diff(want, have, owned);
  auto t1 = std::chrono::steady_clock::now();
  CHECK(same.empty());
  CHECK(same.adopted.empty());
  WARN("diff of 10,000 x 4 unchanged services: "
       << std::chrono::duration_cast<std::chrono::milliseconds>(t1 - t0).count() << " ms");

  auto fresh = diff(want, {}, {});
  auto c = count(fresh.operations);
  CHECK(c.add_service == 10000);
  CHECK(c.add_dest == 40000);
  CHECK(fresh.operations.size() == 50000);

  want.services[4321].destinations[2].weight = 7;
  auto one = diff(want, have, owned);
  REQUIRE(one.operations.size() == 1);
  CHECK(std::holds_alternative<EditDest>(one.operations[0]));
}
