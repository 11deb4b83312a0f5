#pragma once
// A problem found while loading a descriptor, located by file, line, column and JSON pointer.
#include <string>
#include <vector>

namespace lvs::model {

enum class Severity { error, warning };

struct Diagnostic {
  Severity severity = Severity::error;
  std::string file;     // as given to the loader (display name)
  int line = 0;         // 1-based; 0 when unknown
  int column = 0;       // 1-based; 0 when unknown
  std::string pointer;  // RFC 6901 JSON pointer; empty for syntax errors and the whole file
  std::string message;  // operator words, e.g. "70000 is above the maximum 65535"

  // "mail.json:41:17: /services/3/port: 70000 is above the maximum 65535"
  // "mail.json:12:5: warning: /services/4: ..."
  std::string to_string() const;
  bool operator==(const Diagnostic&) const = default;
};

// A problem before it is given a file position: the loader looks the pointer up.
struct Finding {
  Severity severity = Severity::error;
  std::string pointer;
  std::string message;
  bool at_key = false;  // show the position of the member's key rather than its value
};

bool has_errors(const std::vector<Diagnostic>& diagnostics);
std::size_t count(const std::vector<Diagnostic>& diagnostics, Severity severity);

}  // namespace lvs::model
