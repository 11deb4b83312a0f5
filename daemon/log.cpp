#include "daemon/log.h"

#include <unistd.h>

#include <string>

namespace lvsd {

const char* to_string(Level l) {
  switch (l) {
    case Level::error: return "error";
    case Level::warning: return "warning";
    case Level::notice: return "notice";
    case Level::info: return "info";
    case Level::debug: return "debug";
  }
  return "info";
}

bool parse_level(std::string_view text, Level& out) {
  for (Level l : {Level::error, Level::warning, Level::notice, Level::info, Level::debug}) {
    if (text == to_string(l)) {
      out = l;
      return true;
    }
  }
  return false;
}

void StderrLogger::write(Level level, std::string_view line) {
  std::string out;
  const std::string prefix = "<" + std::to_string(static_cast<int>(level)) + ">";
  std::size_t start = 0;
  while (start <= line.size()) {
    std::size_t nl = line.find('\n', start);
    std::string_view part = line.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    out += prefix;
    out += part;
    out += '\n';
    if (nl == std::string_view::npos) break;
    start = nl + 1;
    if (start == line.size()) break;
  }
  // One write per event so lines from one event stay together.
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::write(STDERR_FILENO, out.data() + done, out.size() - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace lvsd
