#include "health/pop3_dialogue.h"

#include "health/line_buffer.h"

namespace lvs::health {

namespace {
bool is_ok(std::string_view l) { return l == "+OK" || l.starts_with("+OK "); }
bool is_err(std::string_view l) { return l == "-ERR" || l.starts_with("-ERR "); }
}  // namespace

Step Pop3Dialogue::on_line(std::string_view line) {
  // Dovecot sends "+OK Waiting for authentication process to respond.." before its real
  // greeting, or before the reply to a command it holds back, while its auth process is
  // not ready. It is never the answer to anything: skip it, and say so if time runs out.
  if (is_ok(line) && line.size() > 4 && is_auth_waiting_text(line.substr(4))) {
    note_ = "server said: " + printable(line);
    return Step::wait();
  }
  if (state_ == State::capa_list) {
    if (line == ".") return next_command();
    return Step::wait();  // a capability; only STLS would matter and STLS is tried anyway
  }
  if (state_ == State::quit) return Step::pass(passed_message());
  if (!is_ok(line) && !is_err(line)) {
    std::string what = state_ == State::greeting ? "unexpected greeting: " : "malformed reply: ";
    return Step::fail(FailureReason::protocol, what + printable(line));
  }
  bool ok = is_ok(line);
  switch (state_) {
    case State::greeting:
      if (!ok) return Step::fail(FailureReason::refused, "server refused the connection: " + printable(line));
      state_ = State::capa;
      return Step::send("CAPA");
    case State::capa:
      if (!ok) return next_command();  // CAPA is optional (RFC 2449); go on without it
      state_ = State::capa_list;
      return Step::wait();
    case State::stls:
      if (!ok) return Step::fail(FailureReason::tls, "STLS refused: " + printable(line));
      return Step::start_tls();
    case State::user:
      if (!ok) return Step::fail(FailureReason::auth, "USER refused: " + printable(line));
      state_ = State::pass;
      return Step::send_secret("PASS " + credentials_->password, "PASS ****");
    case State::pass:
      if (!ok) return Step::fail(FailureReason::auth, "login failed: " + printable(line));
      logged_in_ = true;
      return next_command();
    case State::capa_list:
    case State::quit:
      break;
  }
  return Step::fail(FailureReason::other, "internal error: unknown POP3 state");
}

Step Pop3Dialogue::next_command() {
  if (starttls_ && !tls_done_) {
    state_ = State::stls;
    return Step::send("STLS");
  }
  if (credentials_ && !logged_in_) {
    state_ = State::user;
    return Step::send("USER " + credentials_->user);
  }
  state_ = State::quit;
  return Step::send("QUIT");
}

Step Pop3Dialogue::on_tls_ready() {
  tls_done_ = true;
  state_ = State::capa;  // capabilities may change after TLS (RFC 2595)
  return Step::send("CAPA");
}

std::string Pop3Dialogue::waiting_for() const {
  switch (state_) {
    case State::greeting: return "greeting";
    case State::capa:
    case State::capa_list: return "reply to CAPA";
    case State::stls: return "reply to STLS";
    case State::user: return "reply to USER";
    case State::pass: return "reply to PASS";
    case State::quit: return "reply to QUIT";
  }
  return "reply";
}

std::string Pop3Dialogue::passed_message() const {
  std::string m = "POP3 greeting and CAPA accepted";
  if (tls_done_) m += ", STLS";
  if (logged_in_) m += ", login";
  return m;
}

}  // namespace lvs::health
