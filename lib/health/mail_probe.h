#pragma once
// The one Probe implementation: connect, optional TLS, then the protocol's dialogue.
// tcp is the same machine with no dialogue. Bounds (line, total bytes, deadline) and
// operator messages live here so every protocol gets them alike.
#include <optional>

#include "health/dialogue.h"
#include "health/line_buffer.h"
#include "health/probe.h"
#include "health/transport.h"

namespace lvs::health {

class MailProbe final : public Probe {
 public:
  MailProbe(const ProbeConfig&, TlsContextCache&, TimePoint now);

  int fd() const override { return transport_.fd(); }
  void on_ready(std::uint32_t events, TimePoint now) override;
  TimePoint deadline() const override { return deadline_; }
  bool done() const override { return phase_ == Phase::done; }
  const ProbeResult& result() const override { return result_; }
  ProbeResult take_result() override { return std::move(result_); }

 private:
  enum class Phase { connecting, handshaking, talking, done };

  bool do_connect(std::uint32_t events, TimePoint now);
  bool do_handshake(TimePoint now);
  bool do_talk(TimePoint now);
  bool apply(const Step&, TimePoint now);
  bool begin_tls(TimePoint now);
  void on_timeout(TimePoint now);
  void pass(std::string message, TimePoint now);
  void fail(FailureReason reason, std::string message, TimePoint now);
  // This host ran out of descriptors or memory: a result that says nothing about the server.
  void not_run(std::string why, TimePoint now);
  // Transcript lines, only when config_.record_transcript (callers check recording()).
  bool recording() const { return config_.record_transcript; }
  void note(std::string text);
  std::string waiting_for() const;

  ProbeConfig config_;
  SSL_CTX* tls_ctx_ = nullptr;
  Transport transport_;
  std::unique_ptr<Dialogue> dialogue_;
  LineBuffer lines_;
  std::string out_;           // the command being written, with CRLF
  std::size_t out_done_ = 0;  // bytes of out_ already written
  std::size_t received_ = 0;  // bytes received in the whole dialogue
  std::string in_;            // read buffer, reused
  bool readable_ = false;     // the socket may hold unread input (edge-triggered)
  bool peer_closed_ = false;  // epoll reported a hang-up: read on to the end
  bool tls_after_starttls_ = false;
  std::string tls_summary_;

  Phase phase_ = Phase::connecting;
  TimePoint start_;
  TimePoint deadline_;
  std::optional<TimePoint> passed_at_;
  ProbeResult result_;
};

}  // namespace lvs::health
