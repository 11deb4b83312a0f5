#pragma once
// The protocol half of a mail probe, with no I/O: it reads the server's lines and says
// what to send next. The probe (mail_probe.cpp) owns the socket, TLS, bounds and time.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "health/probe_config.h"
#include "health/probe_result.h"

namespace lvs::health {

struct Step {
  enum class Kind {
    wait,       // need more lines
    send,       // send `command` (without CRLF); the transcript shows `shown`
    start_tls,  // the server accepted STARTTLS/STLS: handshake now, then on_tls_ready()
    pass,       // the check passed; `message` says what was verified
    fail,       // the check failed; `message` says why, `reason` sorts it
  };
  Kind kind = Kind::wait;
  std::string command;
  std::string shown;
  std::string message;
  FailureReason reason = FailureReason::none;

  static Step wait() { return {}; }
  static Step send(std::string cmd) { return {Kind::send, cmd, cmd, {}}; }
  static Step send_secret(std::string cmd, std::string shown) {
    return {Kind::send, std::move(cmd), std::move(shown), {}};
  }
  static Step start_tls() { return {Kind::start_tls, {}, {}, {}}; }
  static Step pass(std::string m) { return {Kind::pass, {}, {}, std::move(m)}; }
  static Step fail(FailureReason r, std::string m) { return {Kind::fail, {}, {}, std::move(m), r}; }
};

class Dialogue {
 public:
  virtual ~Dialogue() = default;
  virtual Step on_line(std::string_view line) = 0;
  virtual Step on_tls_ready() = 0;
  // What the dialogue waits for, for timeout and disconnect messages: "greeting",
  // "reply to EHLO".
  virtual std::string waiting_for() const = 0;
  // True once the check has passed and only the polite QUIT/LOGOUT is outstanding:
  // a close or a timeout from here on does not fail the check.
  virtual bool quitting() const = 0;
  // What passed, for the result when the server closes during QUIT.
  virtual std::string passed_message() const = 0;
  // A note for timeout messages, e.g. what an unusual greeting said; empty if none.
  virtual std::string context_note() const { return {}; }
};

// The dialogue for smtp, pop3 or imap; nullptr for tcp (connect, and TLS if asked, only).
std::unique_ptr<Dialogue> make_dialogue(const ProbeConfig&);

// Settings a server would choke on (a line break in a credential), or nullopt.
std::optional<std::string> config_problem(const ProbeConfig&);

// Dovecot's login processes greet with this while their auth process is not ready yet.
bool is_auth_waiting_text(std::string_view text);

}  // namespace lvs::health
