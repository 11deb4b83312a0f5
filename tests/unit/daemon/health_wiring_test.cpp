// Descriptor check settings -> lib/health check keys.
#include <catch2/catch.hpp>

#include "daemon/health_wiring.h"
#include "harness.h"

namespace {

lvs::model::VirtualService service(std::uint16_t port) {
  lvs::model::VirtualService vs;
  vs.name = "imaps";
  vs.address = *lvs::net::IpAddress::parse("192.0.2.10");
  vs.port = port;
  vs.check = lvs::model::default_check_for_port(port);
  return vs;
}

lvs::model::Real real(std::uint16_t port) {
  lvs::model::Real r;
  r.address = *lvs::net::IpAddress::parse("203.0.113.81");
  r.port = port;
  return r;
}

lvsd::CheckEnv env() {
  lvsd::CheckEnv e;
  e.host_name = "lb1.example.org";
  e.read_credentials = lvsd::read_credentials_file;
  return e;
}

}  // namespace

TEST_CASE("wiring: an imaps real gets an imap probe with implicit TLS on its port and the descriptor's timers") {
  auto vs = service(993);
  vs.check.interval_ms = 2000;
  vs.check.timeout_ms = 1500;
  vs.check.rise = 3;
  vs.check.fall = 4;
  vs.check.server_name = "mail.example.org";
  vs.check.min_tls_version = "1.3";
  auto key = lvsd::check_key_for(vs, real(993), env());
  REQUIRE(key);
  REQUIRE(key->has_value());
  const auto& k = **key;
  CHECK(k.probe.type == lvs::health::ProbeType::imap);
  CHECK(k.probe.tls == lvs::health::TlsMode::implicit);
  CHECK(k.probe.port == 993);
  CHECK(k.probe.server_name == "mail.example.org");
  CHECK(k.probe.min_tls_version == lvs::health::TlsVersion::tls1_3);
  CHECK(k.probe.timeout == std::chrono::milliseconds(1500));
  CHECK(k.probe.ehlo_name == "lb1.example.org");
  CHECK(k.tracking.interval == std::chrono::milliseconds(2000));
  CHECK(k.tracking.rise == 3);
  CHECK(k.tracking.fall == 4);
  CHECK(k.tracking.initial == lvs::health::InitialHealth::down_until_first_success);
  CHECK(lvsd::starting_up(k).tracking.initial == lvs::health::InitialHealth::up);
}

TEST_CASE("wiring: a check port overrides the real's; type none gives no check; a fwmark real needs a port") {
  auto vs = service(25);
  vs.check.port = 2525;
  auto key = lvsd::check_key_for(vs, real(25), env());
  REQUIRE(key);
  CHECK((*key)->probe.port == 2525);
  vs.check.type = lvs::model::CheckType::none;
  auto none = lvsd::check_key_for(vs, real(25), env());
  REQUIRE(none);
  CHECK_FALSE(none->has_value());
  auto fw = service(0);
  fw.fwmark = 7;
  fw.check.type = lvs::model::CheckType::tcp;
  CHECK_FALSE(lvsd::check_key_for(fw, real(0), env()));
}

TEST_CASE("wiring: credentials come from a two-line file; a missing file is an error naming it") {
  lvsd::test::TempDir dir;
  lvsd::test::write_file(dir.file("cred"), "probe\r\nsecret\n");
  auto vs = service(143);
  vs.check.credentials_file = dir.file("cred");
  auto key = lvsd::check_key_for(vs, real(143), env());
  REQUIRE(key);
  REQUIRE((*key)->probe.credentials);
  CHECK((*key)->probe.credentials->user == "probe");
  CHECK((*key)->probe.credentials->password == "secret");
  vs.check.credentials_file = dir.file("missing");
  auto bad = lvsd::check_key_for(vs, real(143), env());
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("missing") != std::string::npos);
}
