#include "health/mail_probe.h"

#include <sys/epoll.h>

#include <chrono>
#include <cstring>

namespace lvs::health {

std::unique_ptr<Probe> make_probe(const ProbeConfig& config, TlsContextCache& tls, TimePoint now) {
  return std::make_unique<MailProbe>(config, tls, now);
}

MailProbe::MailProbe(const ProbeConfig& config, TlsContextCache& tls, TimePoint now)
    : config_(config), lines_(config.max_line_bytes), start_(now), deadline_(now + config.timeout) {
  if (auto problem = config_problem(config_)) {
    fail(FailureReason::setup, "bad check settings: " + *problem, now);
    return;
  }
  if (config_.tls != TlsMode::none) {
    auto ctx = tls.get(config_);
    if (!ctx) {
      if (is_local_shortage(ctx.error().code)) not_run("TLS setup failed: " + ctx.error().describe(), now);
      else fail(FailureReason::tls, "TLS setup failed: " + ctx.error().describe(), now);
      return;
    }
    tls_ctx_ = *ctx;
  }
  dialogue_ = make_dialogue(config_);
  if (auto opened = transport_.open(config_); !opened) {
    if (is_local_shortage(opened.error().code)) not_run(opened.error().describe(), now);
    else fail(FailureReason::setup, opened.error().describe(), now);
    return;
  }
  if (auto connecting = transport_.connect(config_); !connecting) {
    if (is_local_shortage(connecting.error().code)) not_run(connecting.error().describe(), now);
    else fail(FailureReason::connect, connecting.error().describe(), now);
    return;
  }
}

void MailProbe::not_run(std::string why, TimePoint now) {
  fail(FailureReason::shortage, "check not run, this host is short of resources: " + why, now);
}

void MailProbe::on_ready(std::uint32_t events, TimePoint now) {
  if (phase_ == Phase::done) return;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) readable_ = true;
  if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) peer_closed_ = true;
  // Loop while a phase completes and the next can make progress at once. Edge-triggered:
  // each phase goes on until its socket would block. Bounded against a server that keeps
  // a dialogue turning without end.
  if (events != 0) {
    for (int round = 0; round < 64 && phase_ != Phase::done; ++round) {
      bool more = false;
      switch (phase_) {
        case Phase::connecting: more = do_connect(events, now); break;
        case Phase::handshaking: more = do_handshake(now); break;
        case Phase::talking: more = do_talk(now); break;
        case Phase::done: break;
      }
      if (!more) break;
    }
  }
  if (phase_ != Phase::done && now >= deadline_) on_timeout(now);
}

bool MailProbe::do_connect(std::uint32_t events, TimePoint now) {
  if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return false;  // still connecting
  if (auto st = transport_.finish_connect(events); !st) {
    fail(FailureReason::connect,
         "connect to " + endpoint_string(config_.address, config_.port) + " failed: " + std::strerror(st.error().code),
         now);
    return false;
  }
  if (recording()) note("connected to " + endpoint_string(config_.address, config_.port));
  if (config_.tls == TlsMode::implicit) return begin_tls(now);
  if (!dialogue_) {
    pass("connected", now);
    return false;
  }
  phase_ = Phase::talking;
  return true;
}

bool MailProbe::begin_tls(TimePoint now) {
  if (auto st = transport_.begin_tls(tls_ctx_, config_); !st) {
    if (is_local_shortage(st.error().code)) not_run("TLS setup failed: " + st.error().describe(), now);
    else fail(FailureReason::tls, "TLS setup failed: " + st.error().describe(), now);
    return false;
  }
  phase_ = Phase::handshaking;
  return true;
}

bool MailProbe::do_handshake(TimePoint now) {
  IoError failure;
  Io io = transport_.handshake(failure);
  if (io == Io::want_read || io == Io::want_write) return false;
  if (io != Io::done) {
    std::string& error = failure.text;
    if (transport_.name_mismatch()) {
      error += " (checked against " + verify_name(config_);
      error += config_.server_name.empty() ? ", the address connected to; set server_name to check a name)" : ")";
    }
    if (recording()) note("TLS handshake failed: " + error);
    // Whatever broke it (a close, a reset, a certificate), the TLS handshake is what failed.
    fail(FailureReason::tls, "TLS handshake failed: " + error, now);
    return false;
  }
  tls_summary_ = transport_.tls_summary();
  if (!config_.verify)
    tls_summary_ += ", certificate not verified";
  else
    tls_summary_ += ", certificate verified for " + verify_name(config_);
  if (recording()) note("TLS established: " + tls_summary_);
  phase_ = Phase::talking;
  // The handshake's reads may have left application data in the socket with no edge to
  // come for it: look once.
  readable_ = true;
  if (!dialogue_) {
    pass("connected, TLS handshake ok", now);
    return false;
  }
  if (tls_after_starttls_) return apply(dialogue_->on_tls_ready(), now);
  return true;
}

bool MailProbe::do_talk(TimePoint now) {
  IoError error;
  if (out_done_ < out_.size()) {
    Io io = transport_.write(out_, out_done_, error);
    if (io == Io::want_read || io == Io::want_write) return false;
    if (io != Io::done) {
      if (dialogue_->quitting()) {
        pass(dialogue_->passed_message(), now);
      } else {
        if (error.text.empty()) error = {FailureReason::closed, "server closed the connection"};
        fail(error.reason, error.text + " while waiting for the " + waiting_for(), now);
      }
      return false;
    }
    out_.clear();
    out_done_ = 0;
  }

  Io io = Io::want_read;
  in_.clear();
  if (readable_) {
    std::size_t room = config_.max_total_bytes - received_ + 1;
    io = transport_.read(in_, room, error);
    if (io == Io::want_read) readable_ = false;
    received_ += in_.size();
    lines_.append(in_);
    if (lines_.overflowed()) {
      fail(FailureReason::protocol, "server sent a line longer than " + std::to_string(config_.max_line_bytes) + " bytes", now);
      return false;
    }
    if (received_ > config_.max_total_bytes) {
      fail(FailureReason::protocol, "server sent more than " + std::to_string(config_.max_total_bytes) + " bytes", now);
      return false;
    }
  }
  while (auto line = lines_.next_line()) {
    if (line->size() > config_.max_line_bytes) {
      fail(FailureReason::protocol, "server sent a line longer than " + std::to_string(config_.max_line_bytes) + " bytes", now);
      return false;
    }
    if (recording()) result_.transcript.push_back({TranscriptLine::Kind::received, printable(*line, 512)});
    Step step = dialogue_->on_line(*line);
    if (step.kind == Step::Kind::wait) continue;
    // Any step but wait ends this batch: a new command, TLS or the verdict.
    if (step.kind == Step::Kind::start_tls && !lines_.empty()) {
      // Plain text after the go-ahead would be read as if it came over TLS.
      fail(FailureReason::tls, "server sent data after accepting STARTTLS", now);
      return false;
    }
    return apply(step, now);
  }
  if (lines_.overflowed()) {
    fail(FailureReason::protocol, "server sent a line longer than " + std::to_string(config_.max_line_bytes) + " bytes", now);
    return false;
  }
  if (io == Io::eof || io == Io::error) {
    if (dialogue_->quitting()) {
      pass(dialogue_->passed_message(), now);
    } else if (io == Io::eof) {
      fail(FailureReason::closed, "server closed the connection while waiting for the " + waiting_for(), now);
    } else {
      fail(error.reason, error.text + " while waiting for the " + waiting_for(), now);
    }
    return false;
  }
  // The server hung up and what it sent did not settle the check: read on to its end, so
  // the close is reported now and not at the deadline.
  if (peer_closed_ && !in_.empty()) {
    readable_ = true;
    return true;
  }
  return false;
}

bool MailProbe::apply(const Step& step, TimePoint now) {
  switch (step.kind) {
    case Step::Kind::wait:
      return false;
    case Step::Kind::send:
      out_.assign(step.command).append("\r\n");
      out_done_ = 0;
      if (recording()) result_.transcript.push_back({TranscriptLine::Kind::sent, step.shown});
      if (dialogue_->quitting() && !passed_at_) passed_at_ = now;
      return true;
    case Step::Kind::start_tls:
      tls_after_starttls_ = true;
      return begin_tls(now);
    case Step::Kind::pass:
      pass(step.message, now);
      return false;
    case Step::Kind::fail:
      fail(step.reason, step.message, now);
      return false;
  }
  return false;
}

std::string MailProbe::waiting_for() const { return dialogue_ ? dialogue_->waiting_for() : "connection"; }

void MailProbe::on_timeout(TimePoint now) {
  std::string limit = format_duration(config_.timeout);
  switch (phase_) {
    case Phase::connecting:
      fail(FailureReason::timeout, "no connection within " + limit, now);
      return;
    case Phase::handshaking:
      fail(FailureReason::timeout, "TLS handshake not finished within " + limit, now);
      return;
    case Phase::talking: {
      if (dialogue_ && dialogue_->quitting()) {
        pass(dialogue_->passed_message(), now);
        return;
      }
      std::string m = "no " + waiting_for() + " within " + limit;
      if (dialogue_ && !dialogue_->context_note().empty()) m += " (" + dialogue_->context_note() + ")";
      fail(FailureReason::timeout, m, now);
      return;
    }
    case Phase::done:
      return;
  }
}

void MailProbe::note(std::string text) {
  result_.transcript.push_back({TranscriptLine::Kind::note, std::move(text)});
}

void MailProbe::pass(std::string message, TimePoint now) {
  if (transport_.tls()) {
    transport_.shutdown_tls();
    message += "; " + tls_summary_;
  }
  result_.ok = true;
  result_.reason = FailureReason::none;
  result_.message = std::move(message);
  TimePoint end = passed_at_ ? *passed_at_ : now;
  result_.latency = std::chrono::duration_cast<std::chrono::microseconds>(end - start_);
  phase_ = Phase::done;
}

void MailProbe::fail(FailureReason reason, std::string message, TimePoint now) {
  result_.ok = false;
  result_.reason = reason;
  result_.message = std::move(message);
  result_.latency = std::chrono::duration_cast<std::chrono::microseconds>(now - start_);
  phase_ = Phase::done;
}

}  // namespace lvs::health
