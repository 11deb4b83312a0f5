#pragma once
// The outcome of one probe: ok or not, why in operator words, how long it took, and the
// dialogue as it happened (shown by `lvsctl check`).
#include <chrono>
#include <string>
#include <vector>

namespace lvs::health {

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
  // The check could not be made for a reason on this host, not the server's: out of
  // descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM). ok is false, yet the result
  // says nothing about the server, so the registry retries it without counting it.
  bool local_error = false;
  bool operator==(const ProbeResult&) const = default;
};

// The transcript as text, one line each, prefixed "C: ", "S: " or "-- ".
std::string format_transcript(const std::vector<TranscriptLine>&);

}  // namespace lvs::health
