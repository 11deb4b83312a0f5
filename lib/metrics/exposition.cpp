#include "metrics/exposition.h"

#include <charconv>
#include <cmath>
#include <vector>

namespace lvs::metrics {

std::string_view to_string(Type type) {
  switch (type) {
    case Type::counter: return "counter";
    case Type::gauge: return "gauge";
    case Type::histogram: return "histogram";
  }
  return "untyped";
}

void append_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
}

void append_labels(std::string& out, std::span<const Label> labels) {
  if (labels.empty()) return;
  out += '{';
  bool first = true;
  for (const auto& l : labels) {
    if (!first) out += ',';
    first = false;
    out += l.name;
    out += "=\"";
    append_label_value(out, l.value);
    out += '"';
  }
  out += '}';
}

std::string labels(std::initializer_list<Label> list) {
  std::string out;
  append_labels(out, std::span<const Label>(list.begin(), list.size()));
  return out;
}

void append_value(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[32];
  // Shortest form that reads back as the same double: 0.25, 1e-06, 3.
  auto r = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, r.ptr);
}

void append_value(std::string& out, std::uint64_t value) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, r.ptr);
}

void TextWriter::family(std::string_view name, Type type, std::string_view help) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  for (char c : help) {
    if (c == '\\') out_ += "\\\\";
    else if (c == '\n') out_ += "\\n";
    else out_ += c;
  }
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += to_string(type);
  out_ += '\n';
}

void TextWriter::sample(std::string_view name, std::string_view label_set, double value) {
  out_ += name;
  out_ += label_set;
  out_ += ' ';
  append_value(out_, value);
  out_ += '\n';
}

void TextWriter::sample(std::string_view name, std::string_view label_set, std::uint64_t value) {
  out_ += name;
  out_ += label_set;
  out_ += ' ';
  append_value(out_, value);
  out_ += '\n';
}

void TextWriter::sample(std::string_view name, std::initializer_list<Label> list, double value) {
  sample(name, labels(list), value);
}

void TextWriter::sample(std::string_view name, std::initializer_list<Label> list, std::uint64_t value) {
  sample(name, labels(list), value);
}

void TextWriter::histogram(std::string_view name, std::initializer_list<Label> list, const Histogram& h) {
  std::vector<Label> with_le(list.begin(), list.end());
  with_le.push_back({"le", {}});
  const std::string bucket = std::string(name) + "_bucket";
  std::uint64_t cumulative = 0;
  std::string le;
  for (std::size_t i = 0; i <= h.bounds().size(); ++i) {
    cumulative += h.counts()[i];
    le.clear();
    if (i < h.bounds().size()) append_value(le, h.bounds()[i]);
    else le = "+Inf";
    with_le.back().value = le;
    std::string set;
    append_labels(set, with_le);
    sample(bucket, set, cumulative);
  }
  const std::string set = labels(list);
  sample(std::string(name) + "_sum", set, h.sum());
  sample(std::string(name) + "_count", set, h.count());
}

}  // namespace lvs::metrics
