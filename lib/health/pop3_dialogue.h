#pragma once
// POP3: +OK greeting, CAPA (multi-line, ends with "."), (STLS, handshake, CAPA),
// (USER, PASS), QUIT.
#include <optional>
#include <string>

#include "health/dialogue.h"

namespace lvs::health {

class Pop3Dialogue final : public Dialogue {
 public:
  explicit Pop3Dialogue(const ProbeConfig& c) : starttls_(c.tls == TlsMode::starttls), credentials_(c.credentials) {}
  Step on_line(std::string_view line) override;
  Step on_tls_ready() override;
  std::string waiting_for() const override;
  bool quitting() const override { return state_ == State::quit; }
  std::string passed_message() const override;
  std::string context_note() const override { return note_; }

 private:
  enum class State { greeting, capa, capa_list, stls, user, pass, quit };
  Step next_command();

  bool starttls_;
  std::optional<Credentials> credentials_;
  bool tls_done_ = false;
  bool logged_in_ = false;
  State state_ = State::greeting;
  std::string note_;
};

}  // namespace lvs::health
