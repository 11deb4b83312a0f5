#pragma once
// keepalived.conf as a tree of statements: the words of each line, with the block that
// follows when the line opens one. Handles what keepalived's own reader does before it
// looks at keywords: comments (# and ! to the end of the line), quoted strings, braces
// anywhere on a line (or alone on the next one), `include` with glob patterns relative
// to the including file, conditional lines (@id / @^id) and $PARAMETER substitution.
// Pure: included files come through a FileSource, so tests need no files.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace lvs::keepalived {

struct Location {
  std::string file;  // as the include pattern resolved it (the top file: as given)
  int line = 0;      // 1-based
  bool operator==(const Location&) const = default;
};

// One keyword line, e.g. {"real_server", "192.0.2.5", "25"}, and its block if it has one.
struct Statement {
  std::vector<std::string> words;  // never empty; words[0] is the keyword
  Location where;
  bool has_block = false;
  std::vector<Statement> block;

  const std::string& keyword() const { return words.front(); }
  std::size_t args() const { return words.size() - 1; }
  const std::string& arg(std::size_t i) const { return words.at(i + 1); }
};

// A message tied to a line of the configuration.
struct Note {
  Location where;
  std::string message;
  // "keepalived.conf:12: warning: MISC_CHECK is not carried: ..."
  std::string to_string(const char* severity) const;
  bool operator==(const Note&) const = default;
};

struct SourceFile {
  std::string name;      // shown in messages
  std::string identity;  // the same file reached by two names has one identity (loop check)
  std::string text;
};

// Where included files come from: the real filesystem (RealFileSource) or a test's map.
class FileSource {
 public:
  virtual ~FileSource() = default;
  // The files `pattern` matches, in glob order. A relative pattern is relative to the
  // folder of `from` (the including file's name). No match is an empty list, not an error.
  virtual Result<std::vector<SourceFile>> include(const std::string& pattern, const std::string& from) = 0;
};

// glob(3) with brace expansion, realpath() for identities, capped reads.
class RealFileSource : public FileSource {
 public:
  Result<std::vector<SourceFile>> include(const std::string& pattern, const std::string& from) override;
  // The top file, read the same way.
  static Result<SourceFile> open(const std::string& path);
};

struct ParseOptions {
  // keepalived -i: lines "@ID ..." are kept only for this id, "@^ID ..." for any other.
  // Empty: keepalived would use the host name; the importer keeps no "@ID" line and warns.
  std::string config_id;
  int max_include_depth = 8;
};

struct ParseResult {
  std::vector<Statement> statements;
  std::vector<Note> warnings;        // e.g. skipped conditional lines, includes matching nothing
  std::optional<Note> error;         // set: the text could not be read as a configuration
  bool ok() const { return !error; }
};

// Parses `top` (and what it includes through `files`).
ParseResult parse_config(const SourceFile& top, FileSource& files, const ParseOptions& options = {});

}  // namespace lvs::keepalived
