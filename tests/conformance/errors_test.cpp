// Conformance: what the kernel refuses, with which errno, and that a refused write
// changes nothing.
#include <cerrno>

#include "conformance.h"

using namespace lvs::ipvs;
using namespace lvs::conformance;

TEST_CASE("conformance: adding a service that exists is EEXIST and keeps the first",
          "[conformance][errors][service]") {
  auto be = fresh_backend();
  Service s = service(Protocol::tcp, "192.0.2.200", 25, "rr");
  REQUIRE_OK(be->add_service(s));
  Service again = s;
  again.scheduler = "wlc";
  REQUIRE_ERRNO(be->add_service(again), EEXIST);
  CHECK(services_of(*be) == std::vector<Service>{s});

  Service mark = fwmark_service(Family::inet6, 200);
  REQUIRE_OK(be->add_service(mark));
  REQUIRE_ERRNO(be->add_service(mark), EEXIST);
}

TEST_CASE("conformance: editing, deleting or zeroing a missing service is ESRCH",
          "[conformance][errors][service]") {
  auto be = fresh_backend();
  Service present = service(Protocol::tcp, "192.0.2.201", 25, "rr");
  REQUIRE_OK(be->add_service(present));

  Service missing = GENERATE(service(Protocol::tcp, "192.0.2.201", 26, "rr"),  // other port
                             service(Protocol::udp, "192.0.2.201", 25, "rr"),  // other protocol
                             service(Protocol::tcp, "2001:db8::201", 25, "rr"),
                             fwmark_service(Family::inet, 201, "rr"));
  INFO("missing " << missing.key.to_string());
  REQUIRE_ERRNO(be->edit_service(missing), ESRCH);
  REQUIRE_ERRNO(be->delete_service(missing.key), ESRCH);
  REQUIRE_ERRNO(be->zero(missing.key), ESRCH);
  CHECK(services_of(*be) == std::vector<Service>{present});
}

TEST_CASE("conformance: a fwmark service of one family is missing in the other",
          "[conformance][errors][fwmark]") {
  auto be = fresh_backend();
  REQUIRE_OK(be->add_service(fwmark_service(Family::inet, 202)));
  REQUIRE_ERRNO(be->delete_service(fwmark_service(Family::inet6, 202).key), ESRCH);
}

TEST_CASE("conformance: reals of a missing service are ESRCH", "[conformance][errors][dest]") {
  auto be = fresh_backend();
  ServiceKey missing = service(Protocol::tcp, "192.0.2.203", 25).key;
  Destination r = real("198.51.100.203", 25);
  REQUIRE_ERRNO(be->add_destination(missing, r), ESRCH);
  REQUIRE_ERRNO(be->edit_destination(missing, r), ESRCH);
  REQUIRE_ERRNO(be->delete_destination(missing, key_of(r)), ESRCH);
  CHECK(services_of(*be).empty());
}

TEST_CASE("conformance: adding a real that exists is EEXIST; editing or deleting a missing one "
          "is ENOENT",
          "[conformance][errors][dest]") {
  auto be = fresh_backend();
  Service s = service(Protocol::tcp, "192.0.2.204", 25, "rr");
  Destination r = real("198.51.100.204", 25, 4);
  REQUIRE_OK(be->add_service(s));
  REQUIRE_OK(be->add_destination(s.key, r));

  Destination again = r;
  again.weight = 9;
  REQUIRE_ERRNO(be->add_destination(s.key, again), EEXIST);

  Destination other_port = real("198.51.100.204", 26, 4);
  REQUIRE_ERRNO(be->edit_destination(s.key, other_port), ENOENT);
  REQUIRE_ERRNO(be->delete_destination(s.key, key_of(other_port)), ENOENT);
  Destination other_addr = real("198.51.100.205", 25, 4);
  REQUIRE_ERRNO(be->edit_destination(s.key, other_addr), ENOENT);
  REQUIRE_ERRNO(be->delete_destination(s.key, key_of(other_addr)), ENOENT);

  CHECK(dests_of(*be, s.key) == std::vector<Destination>{r});
}

TEST_CASE("conformance: an unknown scheduler is ENOENT on add and on edit",
          "[conformance][errors][scheduler]") {
  auto be = fresh_backend();
  Service s = service(Protocol::tcp, "192.0.2.206", 25, "nosuchsched");
  REQUIRE_ERRNO(be->add_service(s), ENOENT);
  CHECK(services_of(*be).empty());

  s.scheduler = "rr";
  REQUIRE_OK(be->add_service(s));
  Service bad = s;
  bad.scheduler = "nosuchsched";
  REQUIRE_ERRNO(be->edit_service(bad), ENOENT);
  CHECK(services_of(*be) == std::vector<Service>{s});
}

TEST_CASE("conformance: a scheduler name longer than the kernel's 15 characters is EINVAL",
          "[conformance][errors][scheduler]") {
  auto be = fresh_backend();
  REQUIRE_ERRNO(be->add_service(service(Protocol::tcp, "192.0.2.207", 25, "abcdefghijklmnop")),
                EINVAL);
  CHECK(services_of(*be).empty());
}

TEST_CASE("conformance: an unknown persistence engine is ENOENT",
          "[conformance][errors][persistence]") {
  auto be = fresh_backend();
  Service s = service(Protocol::udp, "192.0.2.208", 5060, "rr");
  s.timeout_s = 60;
  s.pe_name = "nosuchpe";
  REQUIRE_ERRNO(be->add_service(s), ENOENT);
  CHECK(services_of(*be).empty());
}

TEST_CASE("conformance: an IPv6 persistence prefix outside 1..128 is EINVAL",
          "[conformance][errors][persistence]") {
  auto be = fresh_backend();
  Service s = service(Protocol::tcp, "2001:db8::209", 143, "rr");
  s.timeout_s = 60;
  s.netmask = GENERATE(0u, 129u, 0xffffffffu);
  INFO("netmask " << s.netmask);
  REQUIRE_ERRNO(be->add_service(s), EINVAL);
  s.netmask = 128;
  REQUIRE_OK(be->add_service(s));
  s.netmask = 0;
  REQUIRE_ERRNO(be->edit_service(s), EINVAL);
}

TEST_CASE("conformance: a non-tunnel real of the other address family is EINVAL",
          "[conformance][errors][family]") {
  auto be = fresh_backend();
  Service v4 = service(Protocol::tcp, "192.0.2.210", 80, "rr");
  Service v6 = service(Protocol::tcp, "2001:db8::210", 80, "rr");
  REQUIRE_OK(be->add_service(v4));
  REQUIRE_OK(be->add_service(v6));
  auto fwd = GENERATE(Forward::masq, Forward::droute, Forward::local, Forward::bypass);
  INFO("forwarding " << to_string(fwd));
  REQUIRE_ERRNO(be->add_destination(v4.key, real("2001:db8:1::210", 80, 1, fwd)), EINVAL);
  REQUIRE_ERRNO(be->add_destination(v6.key, real("198.51.100.210", 80, 1, fwd)), EINVAL);

  // A tunnel real of the other family cannot be edited into another method either.
  Destination t = real("198.51.100.211", 80, 1, Forward::tunnel);
  REQUIRE_OK(be->add_destination(v6.key, t));
  Destination edited = t;
  edited.forward = fwd;
  REQUIRE_ERRNO(be->edit_destination(v6.key, edited), EINVAL);
  CHECK(dests_of(*be, v6.key) == std::vector<Destination>{t});
  CHECK(dests_of(*be, v4.key).empty());
}

TEST_CASE("conformance: a weight above 2^31-1 or a lower threshold above the upper is ERANGE",
          "[conformance][errors][weight]") {
  auto be = fresh_backend();
  Service s = service(Protocol::tcp, "192.0.2.212", 25, "wrr");
  REQUIRE_OK(be->add_service(s));

  Destination heavy = real("198.51.100.212", 25, 2147483648u);
  REQUIRE_ERRNO(be->add_destination(s.key, heavy), ERANGE);
  Destination inverted = real("198.51.100.213", 25);
  inverted.upper_threshold = 10;
  inverted.lower_threshold = 11;
  REQUIRE_ERRNO(be->add_destination(s.key, inverted), ERANGE);
  // The kernel compares even when the upper threshold is 0 (no limit).
  Destination lower_only = real("198.51.100.214", 25);
  lower_only.lower_threshold = 5;
  REQUIRE_ERRNO(be->add_destination(s.key, lower_only), ERANGE);
  CHECK(dests_of(*be, s.key).empty());

  // The same checks guard an edit, before the real is even looked up.
  Destination r = real("198.51.100.215", 25, 3);
  REQUIRE_OK(be->add_destination(s.key, r));
  Destination r_heavy = r;
  r_heavy.weight = 4000000000u;
  REQUIRE_ERRNO(be->edit_destination(s.key, r_heavy), ERANGE);
  REQUIRE_ERRNO(be->edit_destination(s.key, inverted), ERANGE);
  CHECK(dests_of(*be, s.key) == std::vector<Destination>{r});
}

TEST_CASE("conformance: a GUE tunnel without a port is EINVAL", "[conformance][errors][tunnel]") {
  auto be = fresh_backend();
  Service s = service(Protocol::udp, "192.0.2.216", 53, "rr");
  REQUIRE_OK(be->add_service(s));
  Destination d = real("198.51.100.216", 53, 1, Forward::tunnel);
  d.tunnel_type = TunnelType::gue;
  d.tunnel_port = 0;
  REQUIRE_ERRNO(be->add_destination(s.key, d), EINVAL);
  // The kernel checks the tunnel type whatever the forwarding method.
  d.forward = Forward::masq;
  REQUIRE_ERRNO(be->add_destination(s.key, d), EINVAL);
  CHECK(dests_of(*be, s.key).empty());
}

TEST_CASE("conformance: a real that is not a unicast address is EINVAL",
          "[conformance][errors][dest]") {
  auto be = fresh_backend();
  Service v4 = service(Protocol::tcp, "192.0.2.217", 25, "rr");
  Service v6 = service(Protocol::tcp, "2001:db8::217", 25, "rr");
  REQUIRE_OK(be->add_service(v4));
  REQUIRE_OK(be->add_service(v6));
  for (const char* a : {"224.0.0.1", "239.1.2.3", "255.255.255.255", "0.0.0.0"}) {
    INFO("real " << a);
    REQUIRE_ERRNO(be->add_destination(v4.key, real(a, 25)), EINVAL);
  }
  for (const char* a : {"ff02::1", "ff05::2", "fe80::1", "::ffff:198.51.100.1", "::"}) {
    INFO("real " << a);
    REQUIRE_ERRNO(be->add_destination(v6.key, real(a, 25)), EINVAL);
  }
  CHECK(dests_of(*be, v4.key).empty());
  CHECK(dests_of(*be, v6.key).empty());
}

TEST_CASE("conformance: a refused write leaves the whole table unchanged",
          "[conformance][errors]") {
  auto be = fresh_backend();
  Service s = service(Protocol::tcp, "192.0.2.218", 25, "rr");
  s.timeout_s = 300;
  REQUIRE_OK(be->add_service(s));
  REQUIRE_OK(be->add_destination(s.key, real("198.51.100.218", 25, 2)));
  auto before = sorted_table(*be);

  Service bad_edit = s;
  bad_edit.scheduler = "nosuchsched";
  bad_edit.timeout_s = 0;
  REQUIRE_ERRNO(be->edit_service(bad_edit), ENOENT);
  Destination bad_dest = real("198.51.100.218", 25, 2147483648u);
  REQUIRE_ERRNO(be->edit_destination(s.key, bad_dest), ERANGE);
  REQUIRE_ERRNO(be->add_service(s), EEXIST);
  CHECK(sorted_table(*be) == before);
}
