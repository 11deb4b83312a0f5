#pragma once
// Runs one probe to its end with the real clock and the real runner.
#include <string>

#include "health/probe.h"
#include "health/probe_loop.h"
#include "health/tls_context.h"
#include "scripted_server.h"
#include "test_pki.h"

namespace lvs::health::testing {

inline ProbeConfig config_for(ProbeType type, const ScriptedServer& server, const std::string& address = "127.0.0.1") {
  ProbeConfig c;
  c.type = type;
  c.address = *net::IpAddress::parse(address);
  c.port = server.port();
  c.timeout = std::chrono::milliseconds(2000);
  c.ehlo_name = "lb1.example.test";
  c.record_transcript = true;  // the tests read the dialogue
  return c;
}

inline ProbeResult run_probe(const ProbeConfig& config) {
  SteadyClock clock;
  ProbeRunner runner(clock);
  TlsContextCache tls;
  ProbeResult out;
  out.message = "callback never ran";
  runner.add(make_probe(config, tls, clock.now()), [&](ProbeId, const ProbeResult& r) { out = r; });
  runner.run_until_idle();
  return out;
}

// Whether the transcript holds a line of this kind that starts with `prefix`.
inline bool transcript_has(const ProbeResult& r, TranscriptLine::Kind kind, const std::string& prefix) {
  for (const auto& l : r.transcript)
    if (l.kind == kind && l.text.rfind(prefix, 0) == 0) return true;
  return false;
}

}  // namespace lvs::health::testing
