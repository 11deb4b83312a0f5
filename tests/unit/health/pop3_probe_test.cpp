#include <catch2/catch.hpp>

#include "probe_support.h"

using namespace lvs::health;
using namespace lvs::health::testing;
using namespace std::chrono_literals;
using Kind = TranscriptLine::Kind;

namespace {
ScriptedServer& capa(ScriptedServer& s) {
  return s.expect("CAPA").send("+OK Capability list follows").send("TOP").send("UIDL").send("STLS").send(".");
}
}  // namespace

TEST_CASE("pop3: +OK greeting, a multi-line CAPA and QUIT pass") {
  ScriptedServer server;
  server.send("+OK Dovecot ready.");
  capa(server).expect("QUIT").send("+OK Logging out.").start();
  auto r = run_probe(config_for(ProbeType::pop3, server));
  INFO(r.message << "\n" << format_transcript(r.transcript));
  CHECK(r.ok);
  CHECK(r.message == "POP3 greeting and CAPA accepted");
  server.join();
  CHECK(server.problems().empty());
}

TEST_CASE("pop3: USER and PASS come from the credentials; the transcript hides the password") {
  ScriptedServer server("::1");
  server.send("+OK ready");
  capa(server)
      .expect("USER probe@example.test")
      .send("+OK")
      .expect("PASS s3cret pass")
      .send("+OK Logged in.")
      .expect("QUIT")
      .send("+OK Logging out.")
      .start();
  auto c = config_for(ProbeType::pop3, server, "::1");
  c.credentials = Credentials{"probe@example.test", "s3cret pass"};
  auto r = run_probe(c);
  INFO(r.message << "\n" << format_transcript(r.transcript));
  CHECK(r.ok);
  CHECK(r.message == "POP3 greeting and CAPA accepted, login");
  CHECK(transcript_has(r, Kind::sent, "PASS ****"));
  CHECK(format_transcript(r.transcript).find("s3cret") == std::string::npos);
  server.join();
  CHECK(server.problems().empty());
}

TEST_CASE("pop3: a rejected password fails with the server's words") {
  ScriptedServer server;
  server.send("+OK ready");
  capa(server).expect("USER").send("+OK").expect("PASS").send("-ERR [AUTH] Authentication failed.").hold().start();
  auto c = config_for(ProbeType::pop3, server);
  c.credentials = Credentials{"probe", "wrong"};
  auto r = run_probe(c);
  CHECK_FALSE(r.ok);
  CHECK(r.message == "login failed: -ERR [AUTH] Authentication failed.");
  CHECK(r.reason == lvs::health::FailureReason::auth);
}

TEST_CASE("pop3: a -ERR greeting fails") {
  ScriptedServer server;
  server.send("-ERR too many connections").hold().start();
  auto r = run_probe(config_for(ProbeType::pop3, server));
  CHECK_FALSE(r.ok);
  CHECK(r.message == "server refused the connection: -ERR too many connections");
  CHECK(r.reason == lvs::health::FailureReason::refused);
}

TEST_CASE("pop3: a server without CAPA (-ERR) still passes") {
  ScriptedServer server;
  server.send("+OK old server").expect("CAPA").send("-ERR unknown command").expect("QUIT").send("+OK").start();
  auto r = run_probe(config_for(ProbeType::pop3, server));
  INFO(r.message);
  CHECK(r.ok);
}

TEST_CASE("pop3: STLS, a verified handshake and CAPA again pass") {
  auto ctx = server_context(test_pki().good_cert, test_pki().good_key);
  ScriptedServer server;
  server.send("+OK ready");
  capa(server).expect("STLS").send("+OK Begin TLS negotiation now.").start_tls(ctx.get());
  capa(server).expect("QUIT").send("+OK Logging out.").start();
  auto c = config_for(ProbeType::pop3, server);
  c.tls = TlsMode::starttls;
  c.ca_file = test_pki().ca_file;
  c.server_name = "mail.example.test";
  auto r = run_probe(c);
  INFO(r.message << "\n" << format_transcript(r.transcript));
  CHECK(r.ok);
  CHECK(r.message.rfind("POP3 greeting and CAPA accepted, STLS; TLSv1.3", 0) == 0);
  server.join();
  CHECK(server.received() == std::vector<std::string>{"CAPA", "STLS", "CAPA", "QUIT"});
}

TEST_CASE("pop3: STLS refused fails with the server's words") {
  ScriptedServer server;
  server.send("+OK ready");
  capa(server).expect("STLS").send("-ERR TLS support isn't enabled.").hold().start();
  auto c = config_for(ProbeType::pop3, server);
  c.tls = TlsMode::starttls;
  auto r = run_probe(c);
  CHECK_FALSE(r.ok);
  CHECK(r.message == "STLS refused: -ERR TLS support isn't enabled.");
  CHECK(r.reason == lvs::health::FailureReason::tls);
}

TEST_CASE("pop3: implicit TLS (port 995 style) with a login passes") {
  auto ctx = server_context(test_pki().good_cert, test_pki().good_key);
  ScriptedServer server;
  server.start_tls(ctx.get()).send("+OK ready");
  capa(server).expect("USER u").send("+OK").expect("PASS p").send("+OK").expect("QUIT").send("+OK").start();
  auto c = config_for(ProbeType::pop3, server);
  c.tls = TlsMode::implicit;
  c.ca_file = test_pki().ca_file;
  c.server_name = "127.0.0.1";
  c.credentials = Credentials{"u", "p"};
  auto r = run_probe(c);
  INFO(r.message << "\n" << format_transcript(r.transcript));
  CHECK(r.ok);
  CHECK(r.message.find("certificate verified for 127.0.0.1") != std::string::npos);
}

TEST_CASE("pop3: Dovecot's waiting line before the real greeting is skipped") {
  ScriptedServer server;
  server.send("+OK Waiting for authentication process to respond..").pause(50ms).send("+OK Dovecot ready.");
  capa(server).expect("QUIT").send("+OK Logging out.").start();
  auto r = run_probe(config_for(ProbeType::pop3, server));
  INFO(r.message << "\n" << format_transcript(r.transcript));
  CHECK(r.ok);
  server.join();
  CHECK(server.received() == std::vector<std::string>{"CAPA", "QUIT"});
}

TEST_CASE("pop3: Dovecot's waiting line and then silence times out, naming it") {
  ScriptedServer server;
  server.send("+OK Waiting for authentication process to respond..").hold().start();
  auto c = config_for(ProbeType::pop3, server);
  c.timeout = 300ms;
  auto r = run_probe(c);
  CHECK_FALSE(r.ok);
  CHECK(r.message == "no greeting within 300 ms (server said: +OK Waiting for authentication process to respond..)");
  CHECK(r.reason == lvs::health::FailureReason::timeout);
}

TEST_CASE("pop3: credentials with a line break are refused before connecting") {
  ScriptedServer server;
  auto c = config_for(ProbeType::pop3, server);
  c.credentials = Credentials{"u", "p\r\nDELE 1"};
  auto r = run_probe(c);
  CHECK_FALSE(r.ok);
  CHECK(r.message == "bad check settings: the credentials contain a line break or NUL byte");
  CHECK(r.reason == lvs::health::FailureReason::setup);
  CHECK(r.transcript.empty());
}
