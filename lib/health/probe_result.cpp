#include "health/probe_result.h"

namespace lvs::health {

std::string format_transcript(const std::vector<TranscriptLine>& lines) {
  std::string out;
  for (const auto& l : lines) {
    switch (l.kind) {
      case TranscriptLine::Kind::sent: out += "C: "; break;
      case TranscriptLine::Kind::received: out += "S: "; break;
      case TranscriptLine::Kind::note: out += "-- "; break;
    }
    out += l.text;
    out += '\n';
  }
  return out;
}

}  // namespace lvs::health
