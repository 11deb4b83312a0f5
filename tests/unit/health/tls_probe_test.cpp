#include <catch2/catch.hpp>

#include "probe_support.h"

using namespace lvs::health;
using namespace lvs::health::testing;
using Kind = TranscriptLine::Kind;

namespace {
// An implicit-TLS IMAP server presenting `cert`; it greets if the handshake works.
ProbeResult imaps_against(const std::string& cert, const std::string& key, ProbeConfig overrides,
                          ServerTls server_tls = ServerTls::any) {
  auto ctx = server_context(cert, key, server_tls);
  ScriptedServer server;
  server.start_tls(ctx.get())
      .send("* OK ready")
      .expect("a1 CAPABILITY")
      .send("* CAPABILITY IMAP4rev1")
      .send("a1 OK")
      .expect("a2 LOGOUT")
      .send("a2 OK")
      .start();
  overrides.type = ProbeType::imap;
  overrides.tls = TlsMode::implicit;
  overrides.address = *lvs::net::IpAddress::parse("127.0.0.1");
  overrides.port = server.port();
  overrides.timeout = std::chrono::milliseconds(2000);
  return run_probe(overrides);
}

ProbeConfig trusting_test_ca(std::string server_name = "mail.example.test") {
  ProbeConfig c;
  c.ca_file = test_pki().ca_file;
  c.server_name = std::move(server_name);
  c.record_transcript = true;
  return c;
}
}  // namespace

TEST_CASE("tls: a certificate from the trusted CA with the right name passes") {
  auto r = imaps_against(test_pki().good_cert, test_pki().good_key, trusting_test_ca());
  INFO(r.message << "\n" << format_transcript(r.transcript));
  CHECK(r.ok);
  CHECK(r.message.find("certificate verified for mail.example.test") != std::string::npos);
}

TEST_CASE("tls: an expired certificate fails and says so") {
  auto r = imaps_against(test_pki().expired_cert, test_pki().expired_key, trusting_test_ca());
  CHECK_FALSE(r.ok);
  CHECK(r.message == "TLS handshake failed: certificate verify failed: certificate has expired");
  CHECK(r.reason == lvs::health::FailureReason::tls);
  CHECK(transcript_has(r, Kind::note, "TLS handshake failed"));
}

TEST_CASE("tls: a certificate for another name fails with a hostname mismatch") {
  auto r = imaps_against(test_pki().good_cert, test_pki().good_key, trusting_test_ca("imap.example.org"));
  CHECK_FALSE(r.ok);
  CHECK(r.message ==
        "TLS handshake failed: certificate verify failed: hostname mismatch (checked against imap.example.org)");
}

TEST_CASE("tls: without server_name a trusted certificate for another host fails against the address") {
  auto r = imaps_against(test_pki().other_cert, test_pki().other_key, trusting_test_ca(""));
  CHECK_FALSE(r.ok);
  CHECK(r.message == "TLS handshake failed: certificate verify failed: IP address mismatch (checked against "
                     "127.0.0.1, the address connected to; set server_name to check a name)");
}

TEST_CASE("tls: without server_name a certificate whose IP SAN is the address connected to passes") {
  auto r = imaps_against(test_pki().good_cert, test_pki().good_key, trusting_test_ca(""));
  INFO(r.message);
  CHECK(r.ok);
  CHECK(r.message.find("certificate verified for 127.0.0.1") != std::string::npos);
}

TEST_CASE("tls: server_name overrides the address as the name checked") {
  auto r = imaps_against(test_pki().other_cert, test_pki().other_key, trusting_test_ca("other.example.test"));
  INFO(r.message);
  CHECK(r.ok);
  CHECK(r.message.find("certificate verified for other.example.test") != std::string::npos);
  auto wrong = imaps_against(test_pki().good_cert, test_pki().good_key, trusting_test_ca("other.example.test"));
  CHECK_FALSE(wrong.ok);  // the good certificate's IP SAN does not help once a name is given
}

TEST_CASE("tls: with verify off no name is checked") {
  ProbeConfig c;
  c.verify = false;
  auto r = imaps_against(test_pki().other_cert, test_pki().other_key, c);
  INFO(r.message);
  CHECK(r.ok);
}

TEST_CASE("tls: a server name given as an address is checked against the IP SANs") {
  auto good = imaps_against(test_pki().good_cert, test_pki().good_key, trusting_test_ca("127.0.0.1"));
  INFO(good.message);
  CHECK(good.ok);
  auto bad = imaps_against(test_pki().good_cert, test_pki().good_key, trusting_test_ca("127.0.0.9"));
  CHECK_FALSE(bad.ok);
  CHECK(bad.message ==
        "TLS handshake failed: certificate verify failed: IP address mismatch (checked against 127.0.0.9)");
}

TEST_CASE("tls: a certificate from an untrusted CA fails") {
  auto r = imaps_against(test_pki().stranger_cert, test_pki().stranger_key, trusting_test_ca());
  CHECK_FALSE(r.ok);
  CHECK(r.message.rfind("TLS handshake failed: certificate verify failed: ", 0) == 0);
  CHECK(r.reason == lvs::health::FailureReason::tls);
}

TEST_CASE("tls: with verify off an expired certificate is accepted and reported unverified") {
  ProbeConfig c;
  c.verify = false;
  auto r = imaps_against(test_pki().expired_cert, test_pki().expired_key, c);
  INFO(r.message);
  CHECK(r.ok);
  CHECK(r.message.find("certificate not verified") != std::string::npos);
}

TEST_CASE("tls: a minimum of TLS 1.3 against a TLS 1.2-only server fails the handshake") {
  ProbeConfig c = trusting_test_ca();
  c.min_tls_version = TlsVersion::tls1_3;
  auto r = imaps_against(test_pki().good_cert, test_pki().good_key, c, ServerTls::tls1_2_only);
  CHECK_FALSE(r.ok);
  CHECK(r.message.rfind("TLS handshake failed: TLS error during the TLS handshake: ", 0) == 0);
  CHECK(r.reason == lvs::health::FailureReason::tls);
  INFO(r.message);
  CHECK(r.message.find("protocol version") != std::string::npos);
}

TEST_CASE("tls: a TLS 1.2 server passes when 1.2 is the minimum") {
  auto r = imaps_against(test_pki().good_cert, test_pki().good_key, trusting_test_ca(), ServerTls::tls1_2_only);
  INFO(r.message);
  CHECK(r.ok);
  CHECK(r.message.find("TLSv1.2") != std::string::npos);
}

TEST_CASE("tls: a plain-text server on a TLS port fails the handshake") {
  ScriptedServer server;
  server.send("* OK plain text here").hold().start();
  auto c = config_for(ProbeType::imap, server);
  c.tls = TlsMode::implicit;
  c.verify = false;
  auto r = run_probe(c);
  CHECK_FALSE(r.ok);
  CHECK(r.message.rfind("TLS handshake failed: ", 0) == 0);
  CHECK(r.reason == lvs::health::FailureReason::tls);
}

TEST_CASE("tls: a server that closes during the handshake fails in words") {
  ScriptedServer server;
  server.pause(std::chrono::milliseconds(50)).close().hold().start();  // FIN after the ClientHello
  auto c = config_for(ProbeType::imap, server);
  c.tls = TlsMode::implicit;
  c.verify = false;
  auto r = run_probe(c);
  CHECK_FALSE(r.ok);
  CHECK(r.message == "TLS handshake failed: server closed the connection during the TLS handshake");
  CHECK(r.reason == lvs::health::FailureReason::tls);
}

TEST_CASE("tls: a CA file that does not exist is reported before connecting") {
  ScriptedServer server;
  auto c = config_for(ProbeType::imap, server);
  c.tls = TlsMode::implicit;
  c.ca_file = "/nonexistent/ca.pem";
  auto r = run_probe(c);
  CHECK_FALSE(r.ok);
  CHECK(r.message.rfind("TLS setup failed: cannot load CA file /nonexistent/ca.pem: ", 0) == 0);
  CHECK(r.reason == lvs::health::FailureReason::tls);
  CHECK(r.transcript.empty());
}

TEST_CASE("tls: a reset inside the TLS session fails with the phase in words") {
  auto ctx = server_context(test_pki().good_cert, test_pki().good_key);
  ScriptedServer server;
  server.start_tls(ctx.get()).send("* OK ready").expect("a1 CAPABILITY").reset().start();
  auto c = config_for(ProbeType::imap, server);
  c.tls = TlsMode::implicit;
  c.ca_file = test_pki().ca_file;
  auto r = run_probe(c);
  CHECK_FALSE(r.ok);
  CHECK(r.message == "connection reset by server while waiting for the reply to CAPABILITY");
  CHECK(r.reason == lvs::health::FailureReason::closed);
}
