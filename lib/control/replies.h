#pragma once
// The control protocol's replies, typed, with the one mapping to and from JSON that
// lvsd (encoding) and lvsctl (decoding) share. Every reply carries "ok"; the shapes are
// the ones daemon/README.md documents. The status document: status.h.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace lvs::control {

// {"ok":false,"error":"...","errors":[...]} (errors only when there are any).
struct ErrorReply {
  std::string error;
  std::vector<std::string> errors;
  bool operator==(const ErrorReply&) const = default;
};

// drain / enable: the (service, real) pairs the command named and their admin state.
struct AdminReal {
  std::string service;
  std::string real;   // "203.0.113.81:25"
  std::string admin;  // "enabled", "draining" or "drained"
  bool operator==(const AdminReal&) const = default;
};
struct AdminReply {
  std::vector<AdminReal> reals;
  bool operator==(const AdminReply&) const = default;
};

// check: one result per (service, real); probe and ok are absent for a real without a
// check, whose message says so.
struct CheckResult {
  std::string service;
  std::string real;
  std::optional<std::string> probe;
  std::optional<bool> ok;
  std::string message;
  double latency_ms = 0;
  std::string transcript;
  bool operator==(const CheckResult&) const = default;
};
struct CheckReply {
  std::vector<CheckResult> checks;
  bool operator==(const CheckReply&) const = default;
};

// reload, when done: the reconcile's counts and the errors of the operations the
// kernel refused, and the descriptor's warnings. Refused: an ErrorReply.
struct ReloadReply {
  std::size_t operations = 0;
  std::size_t failed = 0;
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
  bool operator==(const ReloadReply&) const = default;
};

void to_json(nlohmann::json& j, const ErrorReply& r);
void to_json(nlohmann::json& j, const AdminReply& r);
void to_json(nlohmann::json& j, const CheckReply& r);
void to_json(nlohmann::json& j, const ReloadReply& r);

// Reading a reply: an {"ok":false} one becomes the ErrorReply; a reply of the wrong
// shape is an EPROTO error naming what is wrong.
template <typename T>
struct Decoded {
  std::optional<T> value;
  std::optional<ErrorReply> refused;
};
[[nodiscard]] Result<Decoded<AdminReply>> decode_admin(const nlohmann::json& j);
[[nodiscard]] Result<Decoded<CheckReply>> decode_check(const nlohmann::json& j);
[[nodiscard]] Result<Decoded<ReloadReply>> decode_reload(const nlohmann::json& j);
// The refusal in a reply, when it is one.
std::optional<ErrorReply> refusal(const nlohmann::json& j);

}  // namespace lvs::control
