#include <catch2/catch.hpp>

#include "probe_support.h"

using namespace lvs::health;
using namespace lvs::health::testing;
using namespace std::chrono_literals;
using Kind = TranscriptLine::Kind;

namespace {
ScriptedServer& ehlo_and_quit(ScriptedServer& s) {
  return s.expect("EHLO lb1.example.test")
      .send("250-mx1.example.test")
      .send("250-PIPELINING")
      .send("250 8BITMIME")
      .expect("QUIT")
      .send("221 2.0.0 Bye");
}
}  // namespace

TEST_CASE("smtp: a 220 greeting and a multi-line 250 EHLO reply pass, then QUIT") {
  ScriptedServer server;
  server.send("220 mx1.example.test ESMTP");
  ehlo_and_quit(server).start();
  auto r = run_probe(config_for(ProbeType::smtp, server));
  INFO(r.message << "\n" << format_transcript(r.transcript));
  CHECK(r.ok);
  CHECK(r.message == "SMTP greeting and EHLO accepted");
  CHECK(transcript_has(r, Kind::sent, "EHLO lb1.example.test"));
  CHECK(transcript_has(r, Kind::received, "250 8BITMIME"));
  CHECK(transcript_has(r, Kind::sent, "QUIT"));
  server.join();
  CHECK(server.problems().empty());
}

TEST_CASE("smtp: a multi-line 220- greeting is read to its last line before EHLO") {
  ScriptedServer server("::1");
  server.send("220-mx1.example.test ESMTP").send("220-no UCE").send("220 welcome");
  ehlo_and_quit(server).start();
  auto r = run_probe(config_for(ProbeType::smtp, server, "::1"));
  INFO(r.message << "\n" << format_transcript(r.transcript));
  CHECK(r.ok);
  server.join();
  CHECK(server.problems().empty());
  CHECK(server.received() == std::vector<std::string>{"EHLO lb1.example.test", "QUIT"});
}

TEST_CASE("smtp: a greeting that never comes times out with the phase in words") {
  ScriptedServer server;
  server.hold().start();
  auto c = config_for(ProbeType::smtp, server);
  c.timeout = 300ms;
  auto r = run_probe(c);
  CHECK_FALSE(r.ok);
  CHECK(r.message == "no greeting within 300 ms");
  CHECK(r.reason == lvs::health::FailureReason::timeout);
}

TEST_CASE("smtp: a 554 greeting fails with the server's words") {
  ScriptedServer server;
  server.send("554 5.3.2 mx1 is not accepting mail").hold().start();
  auto r = run_probe(config_for(ProbeType::smtp, server));
  CHECK_FALSE(r.ok);
  CHECK(r.message == "server refused the connection: 554 5.3.2 mx1 is not accepting mail");
  CHECK(r.reason == lvs::health::FailureReason::refused);
}

TEST_CASE("smtp: a server that closes before greeting fails") {
  ScriptedServer server;
  server.close().hold().start();
  auto r = run_probe(config_for(ProbeType::smtp, server));
  CHECK_FALSE(r.ok);
  CHECK(r.message == "server closed the connection while waiting for the greeting");
  CHECK(r.reason == lvs::health::FailureReason::closed);
}

TEST_CASE("smtp: a server that resets the connection after EHLO fails") {
  ScriptedServer server;
  server.send("220 mx1 ESMTP").expect("EHLO").reset().start();
  auto r = run_probe(config_for(ProbeType::smtp, server));
  INFO(format_transcript(r.transcript));
  CHECK_FALSE(r.ok);
  CHECK(r.message == "connection reset by server while waiting for the reply to EHLO");
  CHECK(r.reason == lvs::health::FailureReason::closed);
}

TEST_CASE("smtp: garbage instead of a greeting fails and is shown escaped") {
  ScriptedServer server;
  server.send_raw(std::string("\x16\x03\x01garbage\x00\xff\r\n", 14)).hold().start();
  auto r = run_probe(config_for(ProbeType::smtp, server));
  CHECK_FALSE(r.ok);
  CHECK(r.message == "unexpected greeting: \\x16\\x03\\x01garbage\\x00\\xff");
  CHECK(r.reason == lvs::health::FailureReason::protocol);
}

TEST_CASE("smtp: a malformed reply to EHLO is a protocol failure, whatever words it holds") {
  ScriptedServer server;
  server.send("220 mx1 ESMTP").expect("EHLO").send("refused: STARTTLS within reach").hold().start();
  auto r = run_probe(config_for(ProbeType::smtp, server));
  CHECK_FALSE(r.ok);
  CHECK(r.message == "malformed reply: refused: STARTTLS within reach");
  CHECK(r.reason == lvs::health::FailureReason::protocol);
}

TEST_CASE("smtp: an endless greeting line is cut at the line limit") {
  ScriptedServer server;
  server.send_raw("220 " + std::string(200000, 'x')).hold().start();
  auto r = run_probe(config_for(ProbeType::smtp, server));
  CHECK_FALSE(r.ok);
  CHECK(r.message == "server sent a line longer than 4096 bytes");
  CHECK(r.reason == lvs::health::FailureReason::protocol);
}

TEST_CASE("smtp: endless continuation lines are cut at the total limit") {
  ScriptedServer server;
  std::string flood;
  while (flood.size() < 100000) flood += "220-still greeting you\r\n";
  server.send_raw(flood).hold().start();
  auto c = config_for(ProbeType::smtp, server);
  c.max_total_bytes = 16 * 1024;
  auto r = run_probe(c);
  CHECK_FALSE(r.ok);
  CHECK(r.message == "server sent more than 16384 bytes");
  CHECK(r.reason == lvs::health::FailureReason::protocol);
}

TEST_CASE("smtp: a reply whose code changes between lines fails") {
  ScriptedServer server;
  server.send("220-mx1").send("250 oops").hold().start();
  auto r = run_probe(config_for(ProbeType::smtp, server));
  CHECK_FALSE(r.ok);
  CHECK(r.message == "reply code changed inside a multi-line reply: 250 oops");
  CHECK(r.reason == lvs::health::FailureReason::protocol);
}

TEST_CASE("smtp: STARTTLS refused with 454 fails with the server's words") {
  ScriptedServer server;
  server.send("220 mx1 ESMTP")
      .expect("EHLO")
      .send("250-mx1")
      .send("250 STARTTLS")
      .expect("STARTTLS")
      .send("454 4.7.0 TLS not available")
      .hold()
      .start();
  auto c = config_for(ProbeType::smtp, server);
  c.tls = TlsMode::starttls;
  auto r = run_probe(c);
  CHECK_FALSE(r.ok);
  CHECK(r.message == "STARTTLS refused: 454 4.7.0 TLS not available");
  CHECK(r.reason == lvs::health::FailureReason::tls);
}

TEST_CASE("smtp: STARTTLS missing from the EHLO reply fails without trying it") {
  ScriptedServer server;
  server.send("220 mx1 ESMTP").expect("EHLO").send("250-mx1").send("250 8BITMIME").hold().start();
  auto c = config_for(ProbeType::smtp, server);
  c.tls = TlsMode::starttls;
  auto r = run_probe(c);
  CHECK_FALSE(r.ok);
  CHECK(r.message == "server does not offer STARTTLS in its EHLO reply");
  CHECK(r.reason == lvs::health::FailureReason::tls);
  CHECK_FALSE(transcript_has(r, Kind::sent, "STARTTLS"));
}

TEST_CASE("smtp: STARTTLS, a verified handshake and a second EHLO pass") {
  auto ctx = server_context(test_pki().good_cert, test_pki().good_key);
  ScriptedServer server("::1");
  server.send("220 mx1 ESMTP")
      .expect("EHLO")
      .send("250-mx1")
      .send("250 STARTTLS")
      .expect("STARTTLS")
      .send("220 2.0.0 Ready to start TLS")
      .start_tls(ctx.get());
  ehlo_and_quit(server).start();
  auto c = config_for(ProbeType::smtp, server, "::1");
  c.tls = TlsMode::starttls;
  c.ca_file = test_pki().ca_file;
  c.server_name = "mail.example.test";
  auto r = run_probe(c);
  INFO(r.message << "\n" << format_transcript(r.transcript));
  CHECK(r.ok);
  CHECK(r.message.rfind("SMTP greeting, EHLO, STARTTLS and EHLO accepted; TLSv1.3", 0) == 0);
  CHECK(r.message.find("certificate verified for mail.example.test") != std::string::npos);
  server.join();
  CHECK(server.problems().empty());
  CHECK(server.received() ==
        std::vector<std::string>{"EHLO lb1.example.test", "STARTTLS", "EHLO lb1.example.test", "QUIT"});
}

TEST_CASE("smtp: plain text injected after the STARTTLS go-ahead fails") {
  ScriptedServer server;
  server.send("220 mx1 ESMTP")
      .expect("EHLO")
      .send("250-mx1")
      .send("250 STARTTLS")
      .expect("STARTTLS")
      .send_raw("220 go ahead\r\n250 injected\r\n")
      .hold()
      .start();
  auto c = config_for(ProbeType::smtp, server);
  c.tls = TlsMode::starttls;
  c.verify = false;
  auto r = run_probe(c);
  CHECK_FALSE(r.ok);
  CHECK(r.message == "server sent data after accepting STARTTLS");
  CHECK(r.reason == lvs::health::FailureReason::tls);
}

TEST_CASE("smtp: implicit TLS (port 465 style) greets over TLS") {
  auto ctx = server_context(test_pki().good_cert, test_pki().good_key);
  ScriptedServer server;
  server.start_tls(ctx.get()).send("220 mx1 ESMTP");
  ehlo_and_quit(server).start();
  auto c = config_for(ProbeType::smtp, server);
  c.tls = TlsMode::implicit;
  c.ca_file = test_pki().ca_file;
  c.server_name = "mail.example.test";
  auto r = run_probe(c);
  INFO(r.message << "\n" << format_transcript(r.transcript));
  CHECK(r.ok);
  CHECK(transcript_has(r, Kind::note, "TLS established: TLSv1.3"));
}

TEST_CASE("smtp: a server that closes instead of answering QUIT still passes") {
  ScriptedServer server;
  server.send("220 mx1 ESMTP").expect("EHLO").send("250 mx1").expect("QUIT").close().hold().start();
  auto r = run_probe(config_for(ProbeType::smtp, server));
  INFO(r.message);
  CHECK(r.ok);
  CHECK(r.message == "SMTP greeting and EHLO accepted");
}

TEST_CASE("smtp: an EHLO name with a space is a settings error") {
  ScriptedServer server;
  auto c = config_for(ProbeType::smtp, server);
  c.ehlo_name = "two words";
  auto r = run_probe(c);
  CHECK_FALSE(r.ok);
  CHECK(r.message == "bad check settings: the EHLO name must be one printable word");
  CHECK(r.reason == lvs::health::FailureReason::setup);
}

TEST_CASE("smtp: a scheduled probe keeps no transcript but reaches the same verdict") {
  ScriptedServer server;
  server.send("220 mx1.example.test ESMTP");
  ehlo_and_quit(server).start();
  auto c = config_for(ProbeType::smtp, server);
  c.record_transcript = false;
  auto r = run_probe(c);
  CHECK(r.ok);
  CHECK(r.message == "SMTP greeting and EHLO accepted");
  CHECK(r.transcript.empty());
  server.join();
  CHECK(server.problems().empty());
}

TEST_CASE("smtp: half a greeting line and then a close is seen as the close, not as a timeout") {
  ScriptedServer server;
  server.send_raw("220-mx1.example.test ESMTP\r\n220 half a li").close().hold().start();
  auto c = config_for(ProbeType::smtp, server);
  c.timeout = 1500ms;
  auto r = run_probe(c);
  CHECK_FALSE(r.ok);
  CHECK(r.message == "server closed the connection while waiting for the greeting");
  CHECK(r.reason == lvs::health::FailureReason::closed);
  CHECK(r.latency < 1500ms);
}

TEST_CASE("smtp: a reply that arrives in pieces is put together") {
  ScriptedServer server;
  server.send_raw("22").pause(30ms).send_raw("0 mx1.example.test").pause(30ms).send_raw(" ESMTP\r\n");
  ehlo_and_quit(server).start();
  auto r = run_probe(config_for(ProbeType::smtp, server));
  INFO(r.message << "\n" << format_transcript(r.transcript));
  CHECK(r.ok);
  CHECK(transcript_has(r, Kind::received, "220 mx1.example.test ESMTP"));
}
