#include "health/dialogue.h"

#include "health/imap_dialogue.h"
#include "health/pop3_dialogue.h"
#include "health/smtp_dialogue.h"

namespace lvs::health {

std::unique_ptr<Dialogue> make_dialogue(const ProbeConfig& c) {
  switch (c.type) {
    case ProbeType::tcp: return nullptr;
    case ProbeType::smtp: return std::make_unique<SmtpDialogue>(c);
    case ProbeType::pop3: return std::make_unique<Pop3Dialogue>(c);
    case ProbeType::imap: return std::make_unique<ImapDialogue>(c);
  }
  return nullptr;
}

namespace {
// Bytes that would end or corrupt a command line.
bool unsafe_in_command(std::string_view s) {
  for (char ch : s)
    if (ch == '\r' || ch == '\n' || ch == '\0') return true;
  return false;
}
bool seven_bit_printable(std::string_view s) {
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7f) return false;
  }
  return true;
}
}  // namespace

std::optional<std::string> config_problem(const ProbeConfig& c) {
  if (c.port == 0) return "no port to probe";
  if (c.timeout.count() <= 0) return "the timeout must be positive";
  if (c.max_line_bytes == 0 || c.max_total_bytes < c.max_line_bytes)
    return "the reply limits are inconsistent";
  if (c.source && c.source->family != c.address.family)
    return "the source address " + c.source->to_string() + " is not of the target's family";
  if (c.type == ProbeType::tcp && c.tls == TlsMode::starttls)
    return "starttls needs a smtp, pop3 or imap check";
  if (c.type == ProbeType::smtp && (c.ehlo_name.empty() || !seven_bit_printable(c.ehlo_name) ||
                                    c.ehlo_name.find(' ') != std::string::npos))
    return "the EHLO name must be one printable word";
  if (c.credentials && (c.type == ProbeType::pop3 || c.type == ProbeType::imap)) {
    const auto& cr = *c.credentials;
    if (cr.user.empty()) return "the credentials have no user";
    if (unsafe_in_command(cr.user) || unsafe_in_command(cr.password))
      return "the credentials contain a line break or NUL byte";
    // IMAP quoted strings are 7-bit; literals are not implemented.
    if (c.type == ProbeType::imap && (!seven_bit_printable(cr.user) || !seven_bit_printable(cr.password)))
      return "IMAP LOGIN credentials must be printable ASCII";
  }
  return std::nullopt;
}

bool is_auth_waiting_text(std::string_view text) {
  return text.starts_with("Waiting for authentication process to respond") ||
         text.starts_with("Waiting for authentication master process to respond");
}

}  // namespace lvs::health
