#include <catch2/catch.hpp>

#include "health/imap_dialogue.h"
#include "probe_support.h"

using namespace lvs::health;
using namespace lvs::health::testing;
using namespace std::chrono_literals;
using Kind = TranscriptLine::Kind;

TEST_CASE("imap: * OK greeting, CAPABILITY and LOGOUT pass") {
  ScriptedServer server;
  server.send("* OK [CAPABILITY IMAP4rev1 STARTTLS] Dovecot ready.")
      .expect("a1 CAPABILITY")
      .send("* CAPABILITY IMAP4rev1 SASL-IR STARTTLS AUTH=PLAIN")
      .send("a1 OK Pre-login capabilities listed, post-login capabilities have more.")
      .expect("a2 LOGOUT")
      .send("* BYE Logging out")
      .send("a2 OK Logout completed.")
      .start();
  auto r = run_probe(config_for(ProbeType::imap, server));
  INFO(r.message << "\n" << format_transcript(r.transcript));
  CHECK(r.ok);
  CHECK(r.message == "IMAP greeting and CAPABILITY accepted");
  server.join();
  CHECK(server.problems().empty());
}

TEST_CASE("imap: a * PREAUTH greeting passes and no LOGIN is sent") {
  ScriptedServer server("::1");
  server.send("* PREAUTH IMAP4rev1 server logged in as probe")
      .expect("a1 CAPABILITY")
      .send("* CAPABILITY IMAP4rev1")
      .send("a1 OK done")
      .expect("a2 LOGOUT")
      .send("a2 OK bye")
      .start();
  auto c = config_for(ProbeType::imap, server, "::1");
  c.credentials = Credentials{"probe", "pw"};
  auto r = run_probe(c);
  INFO(r.message << "\n" << format_transcript(r.transcript));
  CHECK(r.ok);
  CHECK(r.message == "IMAP PREAUTH greeting and CAPABILITY accepted");
  CHECK_FALSE(transcript_has(r, Kind::sent, "a2 LOGIN"));
}

TEST_CASE("imap: LOGIN quotes the user and password; the transcript hides the password") {
  ScriptedServer server;
  server.send("* OK ready")
      .expect("a1 CAPABILITY")
      .send("* CAPABILITY IMAP4rev1 AUTH=PLAIN")
      .send("a1 OK")
      .expect(R"(a2 LOGIN "probe \"one\"" "pa\\ss word")")
      .send("a2 OK Logged in")
      .expect("a3 LOGOUT")
      .send("a3 OK")
      .start();
  auto c = config_for(ProbeType::imap, server);
  c.credentials = Credentials{R"(probe "one")", R"(pa\ss word)"};
  auto r = run_probe(c);
  INFO(r.message << "\n" << format_transcript(r.transcript));
  CHECK(r.ok);
  CHECK(r.message == "IMAP greeting and CAPABILITY accepted, login");
  CHECK(transcript_has(r, Kind::sent, R"(a2 LOGIN "probe \"one\"" ****)"));
  server.join();
  CHECK(server.problems().empty());
}

TEST_CASE("imap: a refused LOGIN fails with the server's words") {
  ScriptedServer server;
  server.send("* OK ready")
      .expect("a1 CAPABILITY")
      .send("* CAPABILITY IMAP4rev1")
      .send("a1 OK")
      .expect("a2 LOGIN")
      .send("a2 NO [AUTHENTICATIONFAILED] Authentication failed.")
      .hold()
      .start();
  auto c = config_for(ProbeType::imap, server);
  c.credentials = Credentials{"probe", "bad"};
  auto r = run_probe(c);
  CHECK_FALSE(r.ok);
  CHECK(r.message == "login failed: a2 NO [AUTHENTICATIONFAILED] Authentication failed.");
  CHECK(r.reason == lvs::health::FailureReason::auth);
}

TEST_CASE("imap: LOGINDISABLED stops the check before sending the password") {
  ScriptedServer server;
  server.send("* OK ready")
      .expect("a1 CAPABILITY")
      .send("* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED")
      .send("a1 OK")
      .hold()
      .start();
  auto c = config_for(ProbeType::imap, server);
  c.credentials = Credentials{"probe", "pw"};
  auto r = run_probe(c);
  CHECK_FALSE(r.ok);
  CHECK(r.message == "server disables LOGIN (LOGINDISABLED) on this connection");
  CHECK(r.reason == lvs::health::FailureReason::auth);
}

TEST_CASE("imap: STARTTLS refused fails with the server's words") {
  ScriptedServer server;
  server.send("* OK ready")
      .expect("a1 CAPABILITY")
      .send("* CAPABILITY IMAP4rev1 STARTTLS")
      .send("a1 OK")
      .expect("a2 STARTTLS")
      .send("a2 BAD TLS support isn't enabled.")
      .hold()
      .start();
  auto c = config_for(ProbeType::imap, server);
  c.tls = TlsMode::starttls;
  auto r = run_probe(c);
  CHECK_FALSE(r.ok);
  CHECK(r.message == "STARTTLS refused: a2 BAD TLS support isn't enabled.");
  CHECK(r.reason == lvs::health::FailureReason::tls);
}

TEST_CASE("imap: STARTTLS, a verified handshake, CAPABILITY again and LOGIN pass") {
  auto ctx = server_context(test_pki().good_cert, test_pki().good_key);
  ScriptedServer server("::1");
  server.send("* OK ready")
      .expect("a1 CAPABILITY")
      .send("* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED")
      .send("a1 OK")
      .expect("a2 STARTTLS")
      .send("a2 OK Begin TLS negotiation now.")
      .start_tls(ctx.get())
      .expect("a3 CAPABILITY")
      .send("* CAPABILITY IMAP4rev1 AUTH=PLAIN")
      .send("a3 OK")
      .expect("a4 LOGIN")
      .send("a4 OK Logged in")
      .expect("a5 LOGOUT")
      .send("a5 OK")
      .start();
  auto c = config_for(ProbeType::imap, server, "::1");
  c.tls = TlsMode::starttls;
  c.ca_file = test_pki().ca_file;
  c.server_name = "mail.example.test";
  c.credentials = Credentials{"probe", "pw"};
  auto r = run_probe(c);
  INFO(r.message << "\n" << format_transcript(r.transcript));
  CHECK(r.ok);
  CHECK(r.message.rfind("IMAP greeting and CAPABILITY accepted, STARTTLS, login; TLSv1.3", 0) == 0);
  server.join();
  CHECK(server.problems().empty());
}

TEST_CASE("imap: Dovecot's '* OK Waiting for authentication process to respond..' is an OK greeting") {
  // Dovecot sends it while its auth process is not ready, then its real greeting; the
  // real greeting arrives as an untagged line while CAPABILITY is outstanding.
  ScriptedServer server;
  server.send("* OK Waiting for authentication process to respond..")
      .pause(50ms)
      .send("* OK [CAPABILITY IMAP4rev1] Dovecot ready.")
      .expect("a1 CAPABILITY")
      .send("* CAPABILITY IMAP4rev1 AUTH=PLAIN")
      .send("a1 OK")
      .expect("a2 LOGOUT")
      .send("a2 OK")
      .start();
  auto r = run_probe(config_for(ProbeType::imap, server));
  INFO(r.message << "\n" << format_transcript(r.transcript));
  CHECK(r.ok);
  CHECK(transcript_has(r, Kind::received, "* OK Waiting for authentication process to respond.."));
  CHECK(transcript_has(r, Kind::received, "* OK [CAPABILITY IMAP4rev1] Dovecot ready."));
  server.join();
  CHECK(server.received() == std::vector<std::string>{"a1 CAPABILITY", "a2 LOGOUT"});
}

TEST_CASE("imap: a LOGIN held back behind Dovecot's waiting greeting times out, naming it") {
  ScriptedServer server;
  server.send("* OK Waiting for authentication process to respond..")
      .expect("a1 CAPABILITY")
      .send("* CAPABILITY IMAP4rev1")
      .send("a1 OK")
      .expect("a2 LOGIN")
      .hold()
      .start();
  auto c = config_for(ProbeType::imap, server);
  c.credentials = Credentials{"probe", "pw"};
  c.timeout = 400ms;
  auto r = run_probe(c);
  CHECK_FALSE(r.ok);
  CHECK(r.message ==
        "no reply to LOGIN within 400 ms (greeting said: Waiting for authentication process to respond..)");
}

TEST_CASE("imap: a * BYE greeting fails") {
  ScriptedServer server;
  server.send("* BYE Too many connections").hold().start();
  auto r = run_probe(config_for(ProbeType::imap, server));
  CHECK_FALSE(r.ok);
  CHECK(r.message == "server refused the connection: * BYE Too many connections");
  CHECK(r.reason == lvs::health::FailureReason::refused);
}

TEST_CASE("imap: an SMTP banner on the IMAP port is not mistaken for a greeting") {
  ScriptedServer server;
  server.send("220 mx1 ESMTP").hold().start();
  auto r = run_probe(config_for(ProbeType::imap, server));
  CHECK_FALSE(r.ok);
  CHECK(r.message == "unexpected greeting: 220 mx1 ESMTP");
  CHECK(r.reason == lvs::health::FailureReason::protocol);
}

TEST_CASE("imap: implicit TLS (port 993 style) passes") {
  auto ctx = server_context(test_pki().good_cert, test_pki().good_key);
  ScriptedServer server;
  server.start_tls(ctx.get())
      .send("* OK ready")
      .expect("a1 CAPABILITY")
      .send("* CAPABILITY IMAP4rev1")
      .send("a1 OK")
      .expect("a2 LOGOUT")
      .send("a2 OK")
      .start();
  auto c = config_for(ProbeType::imap, server);
  c.tls = TlsMode::implicit;
  c.ca_file = test_pki().ca_file;
  c.server_name = "mail.example.test";
  auto r = run_probe(c);
  INFO(r.message << "\n" << format_transcript(r.transcript));
  CHECK(r.ok);
}

TEST_CASE("imap: quoting escapes backslash and double quote only") {
  CHECK(imap_quote("plain") == "\"plain\"");
  CHECK(imap_quote(R"(a"b\c)") == R"("a\"b\\c")");
  CHECK(imap_quote("") == "\"\"");
}

TEST_CASE("imap: 8-bit credentials are refused as settings (no literal support)") {
  ScriptedServer server;
  auto c = config_for(ProbeType::imap, server);
  c.credentials = Credentials{"probe", "p\xc3\xa4ss"};
  auto r = run_probe(c);
  CHECK_FALSE(r.ok);
  CHECK(r.message == "bad check settings: IMAP LOGIN credentials must be printable ASCII");
  CHECK(r.reason == lvs::health::FailureReason::setup);
}
