#pragma once
// The Prometheus text exposition format, version 0.0.4 (what every Prometheus scrapes):
// `# HELP` and `# TYPE` once per family, then its samples, one per line:
//   name{label="value",...} 42
// Label values are escaped (\\, \", \n) and HELP text too (\\, \n). Values are written
// in the shortest form that reads back the same (integers as integers), with NaN and
// +Inf/-Inf spelled as the format wants. Everything appends to one string, so a large
// family costs no allocation per sample beyond the string's growth.
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

#include "metrics/histogram.h"

namespace lvs::metrics {

enum class Type { counter, gauge, histogram };
std::string_view to_string(Type type);

struct Label {
  std::string_view name;
  std::string_view value;
};

// Appends `value` escaped for a label value (backslash, double quote, line feed).
void append_label_value(std::string& out, std::string_view value);
// Appends `{a="x",b="y"}` (nothing for no labels): a label set made once and reused for
// many samples (a real's service and address in every per-real family).
void append_labels(std::string& out, std::span<const Label> labels);
std::string labels(std::initializer_list<Label> labels);
// Appends a sample value: "3", "0.25", "NaN", "+Inf", "-Inf".
void append_value(std::string& out, double value);
void append_value(std::string& out, std::uint64_t value);

class TextWriter {
 public:
  explicit TextWriter(std::string& out) : out_(out) {}

  // Starts a family: its HELP and TYPE lines. `name` must be a valid metric name
  // ([a-zA-Z_:][a-zA-Z0-9_:]*); the caller's names are constants.
  void family(std::string_view name, Type type, std::string_view help);
  // One sample with a label set from append_labels()/labels() (may be empty).
  void sample(std::string_view name, std::string_view label_set, double value);
  void sample(std::string_view name, std::string_view label_set, std::uint64_t value);
  void sample(std::string_view name, std::initializer_list<Label> labels, double value);
  void sample(std::string_view name, std::initializer_list<Label> labels, std::uint64_t value);
  // The samples of one histogram: `name`_bucket{...,le="..."} (cumulative, +Inf last),
  // `name`_sum and `name`_count. `labels` must not have `le`.
  void histogram(std::string_view name, std::initializer_list<Label> labels, const Histogram& h);

  std::string& out() { return out_; }

 private:
  std::string& out_;
};

}  // namespace lvs::metrics
