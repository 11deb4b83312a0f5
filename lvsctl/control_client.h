#pragma once
// lvsctl's side of lvsd's control socket: one JSON request line, one JSON reply line
// (protocol in daemon/README.md).
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "common/result.h"
#include "control/replies.h"
#include "control/request.h"

namespace lvsctl {

inline constexpr const char* kDefaultControlSocket = "/run/lvsd/control.sock";

class ControlClient {
 public:
  [[nodiscard]] static lvs::Result<ControlClient> connect(const std::string& path);
  ControlClient(ControlClient&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  ControlClient& operator=(ControlClient&&) = delete;
  ControlClient(const ControlClient&) = delete;
  ~ControlClient();

  // Sends `request`, waits up to `timeout` for the reply line.
  [[nodiscard]] lvs::Result<nlohmann::json> request(const nlohmann::json& request,
                                                    std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // The next line lvsd sends (after {"command":"events"}: the next event).
  [[nodiscard]] lvs::Result<nlohmann::json> next_line(std::chrono::milliseconds timeout);

 private:
  explicit ControlClient(int fd) : fd_(fd) {}
  int fd_ = -1;
  std::string buffer_;
};

// Adds --socket PATH to a subcommand.
void add_socket_option(CLI::App& cmd, std::string& path);

// The real a drain, enable or check is about: REAL [--service NAME] [--socket PATH].
struct RealTarget {
  std::string real;
  std::string service;
  std::string socket;
};
void add_real_target_options(CLI::App& cmd, RealTarget& target);
// The request for COMMAND about the target (lib/control maps it to JSON).
lvs::control::Request real_request(lvs::control::Command command, const RealTarget& target);

// The typed reply of a successful call_daemon(), or nullopt after printing
// "lvsctl: ..." when the reply does not have the documented shape. `failure`, when
// given, receives what went wrong as an {"ok":false} reply (for --json).
template <typename T>
std::optional<T> decode_reply(const nlohmann::json& reply,
                              lvs::Result<lvs::control::Decoded<T>> (*decode)(const nlohmann::json&),
                              lvs::control::ErrorReply* failure = nullptr) {
  auto decoded = decode(reply);
  if (!decoded) {
    std::fprintf(stderr, "lvsctl: %s\n", decoded.error().describe().c_str());
    if (failure) *failure = {decoded.error().describe(), {}};
    return std::nullopt;
  }
  if (decoded->refused) {
    std::fprintf(stderr, "lvsctl: %s\n", decoded->refused->error.c_str());
    if (failure) *failure = *decoded->refused;
    return std::nullopt;
  }
  return std::move(decoded->value);
}

// Connects, sends, and returns the reply; prints "lvsctl: ..." and returns an error when
// the daemon cannot be reached or answers {"ok": false}. `refused` tells the two apart.
// `failure`, when given, receives the refusal or the reason lvsd could not be asked.
lvs::Result<nlohmann::json> call_daemon(const std::string& socket, const nlohmann::json& request,
                                        bool* refused = nullptr,
                                        std::chrono::milliseconds timeout = std::chrono::seconds(30),
                                        lvs::control::ErrorReply* failure = nullptr);

// With --json a command answered by lvsd prints exactly one document, whatever happens:
// the reply in the shape daemon/README.md documents ({"ok":true,...}), or the failure
// as {"ok":false,"error":"...","errors":[...]} (refused, unreachable, bad reply).
std::string json_document(const nlohmann::json& doc);
std::string failure_document(const lvs::control::ErrorReply& failure);

}  // namespace lvsctl
