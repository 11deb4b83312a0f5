#include "health/line_buffer.h"

namespace lvs::health {

void LineBuffer::append(std::string_view bytes) {
  // Drop what was consumed before it grows the buffer; views handed out end here.
  if (pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ > 4096 && pos_ * 2 > buf_.size()) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  buf_.append(bytes);
}

std::optional<std::string_view> LineBuffer::next_line() {
  auto nl = buf_.find('\n', pos_);
  if (nl == std::string::npos) return std::nullopt;
  std::size_t end = nl;
  if (end > pos_ && buf_[end - 1] == '\r') --end;
  std::string_view line(buf_.data() + pos_, end - pos_);
  pos_ = nl + 1;
  return line;
}

bool LineBuffer::overflowed() const {
  auto nl = buf_.find('\n', pos_);
  std::size_t pending = (nl == std::string::npos ? buf_.size() : nl) - pos_;
  return pending > max_line_ + 1;  // +1 for a CR before the LF
}

std::string printable(std::string_view line, std::size_t limit) {
  static const char hex[] = "0123456789abcdef";
  std::string out;
  for (char ch : line) {
    if (out.size() >= limit) {
      out += "...";
      break;
    }
    auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7f) {
      out += ch;
    } else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace lvs::health
