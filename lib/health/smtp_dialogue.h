#pragma once
// SMTP: 220 greeting, EHLO, (STARTTLS, handshake, EHLO), QUIT. Replies may be multi-line.
#include <string>
#include <vector>

#include "health/dialogue.h"

namespace lvs::health {

class SmtpDialogue final : public Dialogue {
 public:
  explicit SmtpDialogue(const ProbeConfig& c) : ehlo_name_(c.ehlo_name), starttls_(c.tls == TlsMode::starttls) {}
  Step on_line(std::string_view line) override;
  Step on_tls_ready() override;
  std::string waiting_for() const override;
  bool quitting() const override { return state_ == State::quit; }
  std::string passed_message() const override;

 private:
  enum class State { greeting, ehlo, starttls, quit };
  Step on_reply(int code);
  Step after_ehlo();

  std::string ehlo_name_;
  bool starttls_;
  bool tls_done_ = false;
  State state_ = State::greeting;
  int code_ = 0;                    // code of the reply being read; 0 between replies
  std::vector<std::string> lines_;  // lines of the reply being read
};

}  // namespace lvs::health
