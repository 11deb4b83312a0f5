#pragma once
// Splits what a server sends into lines, bounded: a line longer than the limit is an
// error, never an ever-growing buffer. Accepts CRLF and bare LF.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace lvs::health {

class LineBuffer {
 public:
  explicit LineBuffer(std::size_t max_line) : max_line_(max_line) {}

  void append(std::string_view bytes);
  // The next complete line without its line ending, or nullopt when none is complete.
  // The view is valid until the next append().
  std::optional<std::string_view> next_line();
  // True once the buffered, unterminated tail is longer than the line limit.
  bool overflowed() const;
  bool empty() const { return buf_.size() == pos_; }
  std::size_t max_line() const { return max_line_; }

 private:
  std::string buf_;
  std::size_t pos_ = 0;
  std::size_t max_line_;
};

// A server line made safe to show: control and 8-bit bytes as \xNN, cut at `limit`.
std::string printable(std::string_view line, std::size_t limit = 200);

}  // namespace lvs::health
