#pragma once
// The outcome of one probe: ok or not, why in operator words, how long it took, and the
// dialogue as it happened (shown by `lvsctl check`).
#include <chrono>
#include <string>
#include <vector>

namespace lvs::health {

// Why a probe failed, set where the failure is decided (metrics count failures by it;
// the message stays for people).
enum class FailureReason {
  none,      // it passed
  timeout,   // no connection, TLS handshake or reply within the timeout
  connect,   // the TCP connection failed (refused, unreachable)
  tls,       // TLS setup or handshake failed, STARTTLS/STLS not offered or refused
  closed,    // the server closed or reset the connection before the check was done
  auth,      // login refused or disabled
  refused,   // the server answered but turned the session away (greeting, EHLO, CAPABILITY)
  protocol,  // a reply that breaks the protocol: malformed, unexpected, too long, too much
  setup,     // the check could not be set up: bad settings, socket or bind failed
  other,     // none of these (an I/O error of another kind, an internal error)
  shortage,  // this host is short of descriptors or memory: says nothing about the server
};

struct TranscriptLine {
  enum class Kind { sent, received, note };
  Kind kind = Kind::note;
  std::string text;
  bool operator==(const TranscriptLine&) const = default;
};

struct ProbeResult {
  bool ok = false;
  std::string message;  // e.g. "no greeting within 5 s", "STARTTLS refused: 454 TLS not available"
  std::chrono::microseconds latency{0};
  std::vector<TranscriptLine> transcript;
  FailureReason reason = FailureReason::none;  // none when ok
  // The check could not be made for a reason on this host, not the server's: out of
  // descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM). ok is false, yet the result
  // says nothing about the server, so the registry retries it without counting it.
  bool local_error() const { return reason == FailureReason::shortage; }
  bool operator==(const ProbeResult&) const = default;
};

// The transcript as text, one line each, prefixed "C: ", "S: " or "-- ".
std::string format_transcript(const std::vector<TranscriptLine>&);

}  // namespace lvs::health
