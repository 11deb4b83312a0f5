// Conformance: services are read back exactly as written, and edits, deletes and
// flushes do what they say.
#include "conformance.h"

using namespace lvs::ipvs;
using namespace lvs::conformance;

TEST_CASE("conformance: an IPv4 service reads back with every attribute and zero counters",
          "[conformance][service]") {
  auto be = fresh_backend();
  Service s = service(Protocol::tcp, "192.0.2.10", 25, "rr");
  REQUIRE_OK(be->add_service(s));

  auto list = be->list_services();
  REQUIRE(list.ok());
  REQUIRE(list->size() == 1);
  CHECK(list->front().service == s);
  CHECK(list->front().stats == Stats{});
  CHECK(list->front().destinations.empty());
}

TEST_CASE("conformance: IPv4 and IPv6 services of every protocol read back equal",
          "[conformance][service]") {
  auto be = fresh_backend();
  std::vector<Service> written;
  for (const char* addr : {"192.0.2.10", "2001:db8::10"})
    for (Protocol p : {Protocol::tcp, Protocol::udp, Protocol::sctp})
      written.push_back(service(p, addr, 110, "wrr"));
  // The same address on other ports is another service.
  written.push_back(service(Protocol::tcp, "192.0.2.10", 995, "lc"));
  written.push_back(service(Protocol::tcp, "2001:db8::10", 0, "lc"));  // port 0: every port
  for (const auto& s : written) REQUIRE_OK(be->add_service(s));

  CHECK(services_of(*be) == sorted(written));
}

TEST_CASE("conformance: fwmark services of both families are distinct and read back equal",
          "[conformance][service][fwmark]") {
  auto be = fresh_backend();
  std::vector<Service> written = {
      fwmark_service(Family::inet, 7, "rr"),
      fwmark_service(Family::inet6, 7, "sh"),  // same mark, other family: another service
      fwmark_service(Family::inet, 0xfffffffe, "wlc"),
  };
  for (const auto& s : written) REQUIRE_OK(be->add_service(s));
  CHECK(services_of(*be) == sorted(written));

  // A fwmark service is found by family and mark alone.
  REQUIRE_OK(be->delete_service(fwmark_service(Family::inet6, 7).key));
  written.erase(written.begin() + 1);
  CHECK(services_of(*be) == sorted(written));
}

TEST_CASE("conformance: every scheduler the kernel ships reads back by name",
          "[conformance][service][scheduler]") {
  auto scheduler = GENERATE(as<std::string>{}, "rr", "wrr", "lc", "wlc", "fo", "ovf", "lblc",
                            "lblcr", "dh", "sh", "mh", "sed", "nq", "none");
  auto be = fresh_backend();
  Service v4 = service(Protocol::tcp, "192.0.2.20", 143, scheduler);
  Service v6 = service(Protocol::udp, "2001:db8::20", 53, scheduler);
  Service mark = fwmark_service(Family::inet, 20, scheduler);
  INFO("scheduler " << scheduler);
  REQUIRE_OK(be->add_service(v4));
  REQUIRE_OK(be->add_service(v6));
  REQUIRE_OK(be->add_service(mark));
  CHECK(services_of(*be) == sorted({v4, v6, mark}));
}

TEST_CASE("conformance: scheduler flags of sh and mh read back", "[conformance][service][scheduler]") {
  auto be = fresh_backend();
  Service sh = service(Protocol::tcp, "192.0.2.21", 80, "sh");
  sh.flags = svc_flag::sched1 | svc_flag::sched2;  // sh-fallback, sh-port
  Service mh = service(Protocol::tcp, "2001:db8::21", 80, "mh");
  mh.flags = svc_flag::sched1 | svc_flag::sched2;  // mh-fallback, mh-port
  Service mh_port = service(Protocol::udp, "192.0.2.21", 80, "mh");
  mh_port.flags = svc_flag::sched2;
  Service flag3 = service(Protocol::sctp, "192.0.2.21", 80, "rr");
  flag3.flags = svc_flag::sched3;
  for (const auto& s : {sh, mh, mh_port, flag3}) REQUIRE_OK(be->add_service(s));
  CHECK(services_of(*be) == sorted({sh, mh, mh_port, flag3}));
}

TEST_CASE("conformance: persistence with an IPv4 netmask and an IPv6 prefix reads back",
          "[conformance][service][persistence]") {
  auto be = fresh_backend();
  Service v4 = service(Protocol::tcp, "192.0.2.30", 993, "rr");
  v4.timeout_s = 900;
  v4.netmask = 0xffffff00;  // /24
  Service v6 = service(Protocol::tcp, "2001:db8::30", 993, "rr");
  v6.timeout_s = 1800;
  v6.netmask = 64;
  Service mark = fwmark_service(Family::inet6, 30, "wlc");
  mark.timeout_s = 60;
  mark.netmask = 48;
  for (const auto& s : {v4, v6, mark}) REQUIRE_OK(be->add_service(s));
  CHECK(services_of(*be) == sorted({v4, v6, mark}));
}

TEST_CASE("conformance: the persistent flag follows the timeout and is not reported in flags",
          "[conformance][service][persistence]") {
  auto be = fresh_backend();
  Service s = service(Protocol::tcp, "192.0.2.31", 143, "rr");
  s.timeout_s = 300;
  s.flags = svc_flag::persistent;
  REQUIRE_OK(be->add_service(s));
  auto got = services_of(*be);
  REQUIRE(got.size() == 1);
  CHECK(got[0].timeout_s == 300);
  CHECK(got[0].flags == 0);
}

TEST_CASE("conformance: the SIP persistence engine on a persistent UDP service reads back",
          "[conformance][service][persistence]") {
  auto be = fresh_backend();
  Service s = service(Protocol::udp, "192.0.2.32", 5060, "rr");
  s.timeout_s = 120;
  s.pe_name = "sip";
  REQUIRE_OK(be->add_service(s));
  CHECK(services_of(*be) == std::vector<Service>{s});

  SECTION("and can be removed by an edit") {
    s.pe_name.clear();
    REQUIRE_OK(be->edit_service(s));
    CHECK(services_of(*be) == std::vector<Service>{s});
  }
}

TEST_CASE("conformance: one-packet scheduling reads back", "[conformance][service]") {
  auto be = fresh_backend();
  Service s = service(Protocol::udp, "2001:db8::33", 53, "rr");
  s.flags = svc_flag::onepacket;
  REQUIRE_OK(be->add_service(s));
  CHECK(services_of(*be) == std::vector<Service>{s});
}

TEST_CASE("conformance: an edit changes each field of a service and keeps its reals",
          "[conformance][service][edit]") {
  auto be = fresh_backend();
  Service s = service(Protocol::tcp, "192.0.2.40", 25, "rr");
  Destination r = real("198.51.100.41", 25, 3);
  REQUIRE_OK(be->add_service(s));
  REQUIRE_OK(be->add_destination(s.key, r));

  SECTION("scheduler") { s.scheduler = "wlc"; }
  SECTION("scheduler to none") { s.scheduler = "none"; }
  SECTION("scheduler flags") {
    s.scheduler = "sh";
    s.flags = svc_flag::sched1;
  }
  SECTION("persistence timeout and netmask") {
    s.timeout_s = 3600;
    s.netmask = 0xffff0000;
  }
  SECTION("one-packet") { s.flags = svc_flag::onepacket; }
  SECTION("persistence engine") {
    s.timeout_s = 60;
    s.pe_name = "sip";
  }
  REQUIRE_OK(be->edit_service(s));
  CHECK(services_of(*be) == std::vector<Service>{s});
  CHECK(dests_of(*be, s.key) == std::vector<Destination>{r});

  // Back to no persistence: the timeout returns to 0.
  Service plain = service(Protocol::tcp, "192.0.2.40", 25, "rr");
  REQUIRE_OK(be->edit_service(plain));
  CHECK(services_of(*be) == std::vector<Service>{plain});
}

TEST_CASE("conformance: an IPv6 service's persistence prefix can be edited",
          "[conformance][service][edit]") {
  auto be = fresh_backend();
  Service s = service(Protocol::tcp, "2001:db8::42", 143, "fo");
  REQUIRE_OK(be->add_service(s));
  s.timeout_s = 600;
  s.netmask = 56;
  REQUIRE_OK(be->edit_service(s));
  CHECK(services_of(*be) == std::vector<Service>{s});
}

TEST_CASE("conformance: deleting a service removes it with its reals and nothing else",
          "[conformance][service][delete]") {
  auto be = fresh_backend();
  Service a = service(Protocol::tcp, "192.0.2.50", 25, "rr");
  Service b = service(Protocol::tcp, "192.0.2.50", 110, "rr");
  REQUIRE_OK(be->add_service(a));
  REQUIRE_OK(be->add_service(b));
  REQUIRE_OK(be->add_destination(a.key, real("198.51.100.51", 25)));
  REQUIRE_OK(be->add_destination(b.key, real("198.51.100.51", 110)));

  REQUIRE_OK(be->delete_service(a.key));
  CHECK(services_of(*be) == std::vector<Service>{b});
  CHECK(dests_of(*be, b.key) == std::vector<Destination>{real("198.51.100.51", 110)});

  // Re-added, it starts without reals.
  REQUIRE_OK(be->add_service(a));
  CHECK(dests_of(*be, a.key).empty());
}

TEST_CASE("conformance: flush empties the table of every kind of service",
          "[conformance][service][flush]") {
  auto be = fresh_backend();
  Service v4 = service(Protocol::tcp, "192.0.2.60", 25, "rr");
  Service v6 = service(Protocol::udp, "2001:db8::60", 25, "rr");
  Service mark = fwmark_service(Family::inet, 60, "rr");
  for (const auto& s : {v4, v6, mark}) REQUIRE_OK(be->add_service(s));
  REQUIRE_OK(be->add_destination(v4.key, real("198.51.100.61", 25)));
  REQUIRE_OK(be->flush());
  CHECK(services_of(*be).empty());
  CHECK(sorted_table(*be).services.empty());
  // Flushing an empty table is fine too.
  REQUIRE_OK(be->flush());
}

TEST_CASE("conformance: read_table holds every service with its reals",
          "[conformance][service][table]") {
  auto be = fresh_backend();
  Service a = service(Protocol::tcp, "192.0.2.70", 25, "rr");
  Service b = fwmark_service(Family::inet6, 70, "wrr");
  REQUIRE_OK(be->add_service(a));
  REQUIRE_OK(be->add_service(b));
  std::vector<Destination> ra = {real("198.51.100.71", 25, 1), real("198.51.100.72", 25, 2)};
  std::vector<Destination> rb = {real("2001:db8:1::71", 0, 5, Forward::droute)};
  for (const auto& d : ra) REQUIRE_OK(be->add_destination(a.key, d));
  for (const auto& d : rb) REQUIRE_OK(be->add_destination(b.key, d));

  Table t = sorted_table(*be);
  REQUIRE(t.services.size() == 2);
  for (const auto& st : t.services) {
    const bool is_a = st.service.key == a.key;
    CHECK(st.service == (is_a ? a : b));
    std::vector<Destination> got;
    for (const auto& d : st.destinations) {
      got.push_back(d.dest);
      CHECK(d.active_conns == 0);
      CHECK(d.inactive_conns == 0);
      CHECK(d.persistent_conns == 0);
      CHECK(d.stats == Stats{});
    }
    CHECK(got == sorted(is_a ? ra : rb));
  }
}
