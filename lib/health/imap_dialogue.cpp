#include "health/imap_dialogue.h"

#include "health/line_buffer.h"
#include "health/text.h"

namespace lvs::health {

std::string imap_quote(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  out += '"';
  return out;
}

Step ImapDialogue::on_line(std::string_view line) {
  if (state_ == State::greeting) return on_greeting(line);
  if (line.starts_with("* ")) {
    std::string_view rest = line.substr(2);
    if (text::iequals(text::next_word(rest), "CAPABILITY")) capabilities_ = std::string(rest);
    // Anything else untagged (a late "* OK ... ready." greeting, "* BYE" before a
    // LOGOUT's tagged reply) is information, not an answer.
    return Step::wait();
  }
  std::string_view rest = line;
  if (text::next_word(rest) == tag_) {
    std::string_view status = text::next_word(rest);
    return on_tagged(status, line);
  }
  if (state_ == State::logout) return Step::wait();
  return Step::fail(FailureReason::protocol, "unexpected reply to " + tag_ + ": " + printable(line));
}

Step ImapDialogue::on_greeting(std::string_view line) {
  std::string_view rest = line;
  if (text::next_word(rest) != "*") return Step::fail(FailureReason::protocol, "unexpected greeting: " + printable(line));
  std::string_view kind = text::next_word(rest);
  rest.remove_prefix(std::min(rest.find_first_not_of(' '), rest.size()));
  if (text::iequals(kind, "OK")) {
    // Dovecot greets so while its auth process is not ready. It is an OK greeting: the
    // server is up and will answer commands once auth is ready, so carry on; a LOGIN (or
    // even CAPABILITY) may then be slow, and the note explains a timeout.
    if (is_auth_waiting_text(rest)) note_ = "greeting said: " + printable(rest);
    return command(State::capability, "CAPABILITY");
  }
  if (text::iequals(kind, "PREAUTH")) {
    preauth_ = true;
    return command(State::capability, "CAPABILITY");
  }
  if (text::iequals(kind, "BYE")) return Step::fail(FailureReason::refused, "server refused the connection: " + printable(line));
  return Step::fail(FailureReason::protocol, "unexpected greeting: " + printable(line));
}

Step ImapDialogue::on_tagged(std::string_view status, std::string_view line) {
  bool ok = text::iequals(status, "OK");
  switch (state_) {
    case State::capability:
      if (!ok) return Step::fail(FailureReason::refused, "CAPABILITY refused: " + printable(line));
      return next_command();
    case State::starttls:
      if (!ok) return Step::fail(FailureReason::tls, "STARTTLS refused: " + printable(line));
      return Step::start_tls();
    case State::login:
      if (!ok) return Step::fail(FailureReason::auth, "login failed: " + printable(line));
      logged_in_ = true;
      return next_command();
    case State::logout:
      return Step::pass(passed_message());
    case State::greeting:
      break;
  }
  return Step::fail(FailureReason::other, "internal error: unknown IMAP state");
}

Step ImapDialogue::next_command() {
  if (starttls_ && !tls_done_) {
    if (preauth_) return Step::fail(FailureReason::tls, "server greeted with PREAUTH, so STARTTLS is not possible");
    if (!text::has_word(capabilities_, "STARTTLS"))
      return Step::fail(FailureReason::tls, "server does not offer STARTTLS in its capabilities");
    return command(State::starttls, "STARTTLS");
  }
  if (credentials_ && !logged_in_ && !preauth_) {
    if (text::has_word(capabilities_, "LOGINDISABLED"))
      return Step::fail(FailureReason::auth, "server disables LOGIN (LOGINDISABLED) on this connection");
    return command(State::login, "LOGIN", imap_quote(credentials_->user) + " " + imap_quote(credentials_->password),
                   imap_quote(credentials_->user) + " ****");
  }
  return command(State::logout, "LOGOUT");
}

Step ImapDialogue::command(State next, std::string_view verb, std::string_view args, std::string_view shown_args) {
  state_ = next;
  tag_ = "a" + std::to_string(next_tag_++);
  std::string cmd = tag_ + " " + std::string(verb);
  std::string shown = cmd;
  if (!args.empty()) {
    cmd += " " + std::string(args);
    shown += " " + std::string(shown_args.empty() ? args : shown_args);
  }
  return Step::send_secret(std::move(cmd), std::move(shown));
}

Step ImapDialogue::on_tls_ready() {
  tls_done_ = true;
  capabilities_.clear();  // RFC 3501 6.2.1: forget what was said before TLS
  return command(State::capability, "CAPABILITY");
}

std::string ImapDialogue::waiting_for() const {
  switch (state_) {
    case State::greeting: return "greeting";
    case State::capability: return "reply to CAPABILITY";
    case State::starttls: return "reply to STARTTLS";
    case State::login: return "reply to LOGIN";
    case State::logout: return "reply to LOGOUT";
  }
  return "reply";
}

std::string ImapDialogue::passed_message() const {
  std::string m = preauth_ ? "IMAP PREAUTH greeting and CAPABILITY accepted" : "IMAP greeting and CAPABILITY accepted";
  if (tls_done_) m += ", STARTTLS";
  if (logged_in_) m += ", login";
  return m;
}

}  // namespace lvs::health
