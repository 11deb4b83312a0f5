#pragma once
// IMAP: "* OK" or "* PREAUTH" greeting, CAPABILITY, (STARTTLS, handshake, CAPABILITY),
// (LOGIN), LOGOUT. Commands are tagged a1, a2, ...; untagged lines in between are
// collected (capabilities) or ignored.
#include <optional>
#include <string>

#include "health/dialogue.h"

namespace lvs::health {

// An IMAP quoted string: "..." with backslash and double quote escaped.
std::string imap_quote(std::string_view s);

class ImapDialogue final : public Dialogue {
 public:
  explicit ImapDialogue(const ProbeConfig& c) : starttls_(c.tls == TlsMode::starttls), credentials_(c.credentials) {}
  Step on_line(std::string_view line) override;
  Step on_tls_ready() override;
  std::string waiting_for() const override;
  bool quitting() const override { return state_ == State::logout; }
  std::string passed_message() const override;
  std::string context_note() const override { return note_; }

 private:
  enum class State { greeting, capability, starttls, login, logout };
  Step on_greeting(std::string_view line);
  Step on_tagged(std::string_view status, std::string_view line);
  Step next_command();
  Step command(State next, std::string_view verb, std::string_view args = {}, std::string_view shown_args = {});

  bool starttls_;
  std::optional<Credentials> credentials_;
  bool tls_done_ = false;
  bool logged_in_ = false;
  bool preauth_ = false;
  State state_ = State::greeting;
  std::string capabilities_;  // words of the last "* CAPABILITY" line
  std::string tag_;           // tag of the outstanding command
  int next_tag_ = 1;
  std::string note_;
};

}  // namespace lvs::health
