#pragma once
// Result<T>: a value or an error carrying errno and the object it was about.
// Used on every kernel and I/O path; exceptions are kept for config loading.
#include <cstring>
#include <string>
#include <utility>
#include <variant>

namespace lvs {

struct Error {
  int code = 0;         // errno value (positive), 0 when not an OS error
  std::string message;  // what failed and on which object, in operator words

  std::string describe() const {
    if (code == 0) return message;
    return message + ": " + std::strerror(code) + " (errno " + std::to_string(code) + ")";
  }
  bool operator==(const Error&) const = default;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error err) : v_(std::move(err)) {}

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &std::get<T>(v_); }
  const T* operator->() const { return &std::get<T>(v_); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<Error>(v_); }

 private:
  std::variant<T, Error> v_;
};

struct Ok {
  bool operator==(const Ok&) const = default;
};
using Status = Result<Ok>;

inline Status ok() { return Ok{}; }
inline Error make_error(int code, std::string message) { return Error{code, std::move(message)}; }

}  // namespace lvs
