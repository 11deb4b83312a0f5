#include "keepalived/config_tree.h"

#include <algorithm>
#include <cctype>
#include <map>

namespace lvs::keepalived {
namespace {

constexpr int kMaxSubstitutionPasses = 32;
// A parameter that holds itself twice doubles the line each pass: stop long before memory does.
constexpr std::size_t kMaxSubstitutedLine = 64 * 1024;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

std::string trim(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return s.substr(b, e - b);
}

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

struct Token {
  enum Kind { word, open, close, eol } kind = word;
  std::string text;
  Location where;
};

// Turns lines into tokens, following includes; keepalived does includes, conditionals
// and parameters per line before it sees keywords, and so does this.
class Lexer {
 public:
  Lexer(FileSource& files, const ParseOptions& options, ParseResult& out)
      : files_(files), options_(options), out_(out) {}

  bool file(const SourceFile& f, int depth) {
    stack_.push_back(f.identity);
    std::size_t start = 0;
    int number = 0;
    while (start <= f.text.size()) {
      std::size_t end = f.text.find('\n', start);
      if (end == std::string::npos) end = f.text.size();
      ++number;
      if (!line(f.text.substr(start, end - start), Location{f.name, number}, depth)) return false;
      start = end + 1;
    }
    stack_.pop_back();
    return true;
  }

  std::vector<Token> tokens;

 private:
  bool fail(const Location& at, std::string message) {
    out_.error = Note{at, std::move(message)};
    return false;
  }

  // Applies a leading "@id" / "@^id"; false when the line is not for this config id.
  bool conditional(std::string& text, const Location& at) {
    if (text.empty() || text[0] != '@') return true;
    bool negated = text.size() > 1 && text[1] == '^';
    std::size_t b = negated ? 2 : 1, e = b;
    while (e < text.size() && !is_space(text[e])) ++e;
    std::string id = text.substr(b, e - b);
    std::string rest = trim(text.substr(e));
    bool keep;
    if (options_.config_id.empty()) {
      keep = negated;
      if (!keep)
        out_.warnings.push_back(Note{at, "line for config id '" + id + "' skipped (give --config-id " + id +
                                             " to convert this node's view): " + rest});
    } else {
      keep = (id == options_.config_id) != negated;
    }
    text = rest;
    return keep;
  }

  // $NAME=VALUE defines; true when the line was a definition.
  bool definition(const std::string& text, const Location& at, bool& failed) {
    if (text.size() < 3 || text[0] != '$' || !(std::isalpha(static_cast<unsigned char>(text[1])) || text[1] == '_'))
      return false;
    std::size_t e = 1;
    while (e < text.size() && is_name_char(text[e])) ++e;
    if (e >= text.size() || text[e] != '=') return false;
    std::string value = trim(text.substr(e + 1));
    if (!value.empty() && value.back() == '\\') {
      failed = !fail(at, "multi-line parameter definitions ($" + text.substr(1, e - 1) +
                             "= ... \\) are not supported; write the lines out");
      return true;
    }
    params_[text.substr(1, e - 1)] = value;
    return true;
  }

  // Replaces ${NAME} and "$NAME " for defined names, as often as a result holds more.
  bool substitute(std::string& text, const Location& at) {
    if (params_.empty()) return true;
    for (int pass = 0; pass < kMaxSubstitutionPasses; ++pass) {
      bool changed = false;
      std::string out;
      for (std::size_t i = 0; i < text.size();) {
        if (text[i] == '$' && i + 1 < text.size()) {
          bool braced = text[i + 1] == '{';
          std::size_t b = i + (braced ? 2 : 1), e = b;
          while (e < text.size() && is_name_char(text[e])) ++e;
          auto it = params_.find(text.substr(b, e - b));
          bool ends = braced ? (e < text.size() && text[e] == '}') : (e == text.size() || is_space(text[e]));
          if (e > b && ends && it != params_.end()) {
            if (out.size() + it->second.size() + (text.size() - e) > kMaxSubstitutedLine)
              return fail(at, "parameter substitution makes the line longer than " + std::to_string(kMaxSubstitutedLine) +
                                  " bytes (does a parameter hold itself more than once?)");
            out += it->second;
            i = braced ? e + 1 : e;
            changed = true;
            continue;
          }
        }
        out += text[i++];
      }
      text = out;
      if (!changed) return true;
    }
    return fail(at, "parameter substitution does not end (does a parameter refer to itself?)");
  }

  bool include(const std::string& text, const Location& at, int depth) {
    std::string pattern;
    for (char c : trim(text.substr(text.find_first_of(" \t")))) {
      if (c == '"' || c == '\'') continue;
      if ((c == '#' || c == '!') && (pattern.empty() || is_space(pattern.back()))) break;
      pattern += c;
    }
    pattern = trim(pattern);
    if (pattern.empty()) return fail(at, "include needs a file name");
    if (depth + 1 > options_.max_include_depth)
      return fail(at, "include " + pattern + ": includes nest deeper than " +
                          std::to_string(options_.max_include_depth) + " levels");
    Result<std::vector<SourceFile>> found = files_.include(pattern, at.file);
    if (!found) return fail(at, "include " + pattern + ": " + found.error().describe());
    if (found->empty()) out_.warnings.push_back(Note{at, "include " + pattern + " matched no file"});
    for (const SourceFile& f : *found) {
      if (std::find(stack_.begin(), stack_.end(), f.identity) != stack_.end())
        return fail(at, "include " + pattern + ": " + f.name + " is already being read (an include loop)");
      if (!file(f, depth + 1)) return false;
    }
    return true;
  }

  bool line(std::string text, const Location& at, int depth) {
    text = trim(text);
    if (!conditional(text, at)) return true;
    bool failed = false;
    if (definition(text, at, failed)) return !failed;
    if (!substitute(text, at)) return false;
    if (!conditional(text, at)) return true;  // a parameter may expand to "@id ..."
    std::string first = text.substr(0, text.find_first_of(" \t"));
    static const char* const kIncludes[] = {"include", "includer", "includem", "includew", "includeb", "includea"};
    if (std::find(std::begin(kIncludes), std::end(kIncludes), first) != std::end(kIncludes) &&
        first.size() < text.size())
      return include(text, at, depth);
    return words(text, at);
  }

  bool words(const std::string& text, const Location& at) {
    std::string word;
    bool in_word = false;
    char quote = 0;
    auto flush = [&] {
      if (in_word) tokens.push_back(Token{Token::word, word, at});
      word.clear();
      in_word = false;
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
      char c = text[i];
      if (quote) {
        if (c == quote) {
          quote = 0;
        } else if (c == '\\' && i + 1 < text.size()) {
          char n = text[++i];
          word += n == 'n' ? '\n' : n == 't' ? '\t' : n == 'r' ? '\r' : n;
        } else {
          word += c;
        }
        continue;
      }
      if (c == '"' || c == '\'') {
        quote = c;
        in_word = true;
      } else if (is_space(c)) {
        flush();
      } else if ((c == '#' || c == '!') && !in_word) {
        break;  // a comment runs to the end of the line
      } else if (c == '{' || c == '}') {
        flush();
        tokens.push_back(Token{c == '{' ? Token::open : Token::close, std::string(1, c), at});
      } else {
        word += c;
        in_word = true;
      }
    }
    if (quote) return fail(at, std::string("unterminated quoted string (") + quote + " opened but not closed)");
    flush();
    tokens.push_back(Token{Token::eol, "", at});
    return true;
  }

  FileSource& files_;
  const ParseOptions& options_;
  ParseResult& out_;
  std::map<std::string, std::string> params_;
  std::vector<std::string> stack_;  // identities of the files being read
};

// Statements and blocks from the token stream.
bool build_tree(const std::vector<Token>& tokens, ParseResult& out) {
  struct Open {
    std::vector<Statement>* list;
    const Statement* owner;
  };
  std::vector<Open> stack{{&out.statements, nullptr}};
  Statement current;
  auto flush = [&] {
    if (!current.words.empty()) stack.back().list->push_back(std::move(current));
    current = Statement{};
  };
  for (const Token& t : tokens) {
    switch (t.kind) {
      case Token::word:
        if (current.words.empty()) current.where = t.where;
        current.words.push_back(t.text);
        break;
      case Token::eol:
        flush();
        break;
      case Token::open: {
        std::vector<Statement>& list = *stack.back().list;
        if (current.words.empty()) {
          // "{" alone: it opens the block of the keyword on the line before.
          if (list.empty() || list.back().has_block) {
            out.error = Note{t.where, "'{' without a keyword before it"};
            return false;
          }
        } else {
          list.push_back(std::move(current));
          current = Statement{};
        }
        list.back().has_block = true;
        stack.push_back(Open{&list.back().block, &list.back()});
        break;
      }
      case Token::close:
        flush();
        if (stack.size() == 1) {
          out.error = Note{t.where, "'}' closes no block"};
          return false;
        }
        stack.pop_back();
        break;
    }
  }
  flush();
  if (stack.size() > 1) {
    const Statement& owner = *stack.back().owner;
    out.error = Note{owner.where, "the block of '" + owner.keyword() + "' is not closed (missing '}')"};
    return false;
  }
  return true;
}

}  // namespace

std::string Note::to_string(const char* severity) const {
  return where.file + ":" + std::to_string(where.line) + ": " + severity + ": " + message;
}

ParseResult parse_config(const SourceFile& top, FileSource& files, const ParseOptions& options) {
  ParseResult out;
  Lexer lexer(files, options, out);
  if (!lexer.file(top, 0)) return out;
  build_tree(lexer.tokens, out);
  return out;
}

}  // namespace lvs::keepalived
