#pragma once
// Logging: one line per event, prefixed with the syslog level the journal understands
// ("<5>health: ..."). The sink is injected so tests can read what was logged.
#include <mutex>
#include <string>
#include <string_view>

namespace lvsd {

enum class Level { error = 3, warning = 4, notice = 5, info = 6, debug = 7 };

const char* to_string(Level);
bool parse_level(std::string_view text, Level& out);

class Logger {
 public:
  virtual ~Logger() = default;
  virtual void write(Level level, std::string_view line) = 0;
  virtual bool enabled(Level level) const = 0;

  void log(Level level, std::string_view line) {
    if (enabled(level)) write(level, line);
  }
  void error(std::string_view l) { log(Level::error, l); }
  void warning(std::string_view l) { log(Level::warning, l); }
  void notice(std::string_view l) { log(Level::notice, l); }
  void info(std::string_view l) { log(Level::info, l); }
  void debug(std::string_view l) { log(Level::debug, l); }
};

// "<6>message\n" on stderr; lines with a newline inside are split so each keeps a prefix.
class StderrLogger final : public Logger {
 public:
  explicit StderrLogger(Level max = Level::info) : max_(max) {}
  void write(Level level, std::string_view line) override;
  bool enabled(Level level) const override { return static_cast<int>(level) <= static_cast<int>(max_); }

 private:
  Level max_;
};

}  // namespace lvsd
