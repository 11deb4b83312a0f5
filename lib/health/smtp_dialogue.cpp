#include "health/smtp_dialogue.h"

#include "health/line_buffer.h"
#include "health/text.h"

namespace lvs::health {

namespace {
bool is_digit(char c) { return c >= '0' && c <= '9'; }
}  // namespace

Step SmtpDialogue::on_line(std::string_view line) {
  // "250-first", "250 last" or a bare "250" (RFC 5321 4.2).
  bool shaped = line.size() >= 3 && is_digit(line[0]) && is_digit(line[1]) && is_digit(line[2]) &&
                (line.size() == 3 || line[3] == ' ' || line[3] == '-');
  if (!shaped) {
    std::string what = state_ == State::greeting ? "unexpected greeting: " : "malformed reply: ";
    return Step::fail(FailureReason::protocol, what + printable(line));
  }
  int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (code_ != 0 && code != code_)
    return Step::fail(FailureReason::protocol, "reply code changed inside a multi-line reply: " + printable(line));
  code_ = code;
  lines_.emplace_back(line.size() > 4 ? line.substr(4) : std::string_view());
  if (line.size() > 3 && line[3] == '-') return Step::wait();
  Step next = on_reply(code);
  code_ = 0;
  lines_.clear();
  return next;
}

Step SmtpDialogue::on_reply(int code) {
  // The reply as shown in a failure message; built only for one.
  auto last = [&] { return std::to_string(code) + (lines_.back().empty() ? "" : " " + printable(lines_.back())); };
  switch (state_) {
    case State::greeting:
      if (code != 220) return Step::fail(FailureReason::refused, "server refused the connection: " + last());
      state_ = State::ehlo;
      return Step::send("EHLO " + ehlo_name_);
    case State::ehlo:
      if (code != 250) return Step::fail(FailureReason::refused, "EHLO refused: " + last());
      return after_ehlo();
    case State::starttls:
      if (code != 220) return Step::fail(FailureReason::tls, "STARTTLS refused: " + last());
      return Step::start_tls();
    case State::quit:
      return Step::pass(passed_message());
  }
  return Step::fail(FailureReason::other, "internal error: unknown SMTP state");
}

Step SmtpDialogue::after_ehlo() {
  if (starttls_ && !tls_done_) {
    bool offered = false;
    for (std::size_t i = 1; i < lines_.size(); ++i) {  // line 0 is the server's name
      std::string_view rest = lines_[i];
      if (text::iequals(text::next_word(rest), "STARTTLS")) offered = true;
    }
    if (!offered) return Step::fail(FailureReason::tls, "server does not offer STARTTLS in its EHLO reply");
    state_ = State::starttls;
    return Step::send("STARTTLS");
  }
  state_ = State::quit;
  return Step::send("QUIT");
}

Step SmtpDialogue::on_tls_ready() {
  tls_done_ = true;
  state_ = State::ehlo;
  return Step::send("EHLO " + ehlo_name_);
}

std::string SmtpDialogue::waiting_for() const {
  switch (state_) {
    case State::greeting: return "greeting";
    case State::ehlo: return "reply to EHLO";
    case State::starttls: return "reply to STARTTLS";
    case State::quit: return "reply to QUIT";
  }
  return "reply";
}

std::string SmtpDialogue::passed_message() const {
  return tls_done_ ? "SMTP greeting, EHLO, STARTTLS and EHLO accepted" : "SMTP greeting and EHLO accepted";
}

}  // namespace lvs::health
