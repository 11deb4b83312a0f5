#include "model/diagnostics.h"

#include <algorithm>

namespace lvs::model {

std::string Diagnostic::to_string() const {
  std::string out = file;
  if (line > 0) {
    out += ":" + std::to_string(line);
    if (column > 0) out += ":" + std::to_string(column);
  }
  out += ": ";
  if (severity == Severity::warning) out += "warning: ";
  if (!pointer.empty()) out += pointer + ": ";
  out += message;
  return out;
}

bool has_errors(const std::vector<Diagnostic>& d) {
  return std::any_of(d.begin(), d.end(),
                     [](const Diagnostic& x) { return x.severity == Severity::error; });
}

std::size_t count(const std::vector<Diagnostic>& d, Severity s) {
  return static_cast<std::size_t>(
      std::count_if(d.begin(), d.end(), [s](const Diagnostic& x) { return x.severity == s; }));
}

}  // namespace lvs::model
