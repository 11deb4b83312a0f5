// The text exposition format, byte for byte: escaping, values, histograms.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "metrics/exposition.h"

namespace metrics = lvs::metrics;

TEST_CASE("exposition: a family has HELP and TYPE lines, then its samples") {
  std::string out;
  metrics::TextWriter w(out);
  w.family("lvsd_reconcile_runs_total", metrics::Type::counter, "Reconciles run.");
  w.sample("lvsd_reconcile_runs_total", "", std::uint64_t{3});
  w.family("lvsd_real_weight_current", metrics::Type::gauge, "Weight in the kernel.");
  w.sample("lvsd_real_weight_current", {{"service", "research/25"}, {"real", "203.0.113.81:25"}}, std::uint64_t{1});
  CHECK(out ==
        "# HELP lvsd_reconcile_runs_total Reconciles run.\n"
        "# TYPE lvsd_reconcile_runs_total counter\n"
        "lvsd_reconcile_runs_total 3\n"
        "# HELP lvsd_real_weight_current Weight in the kernel.\n"
        "# TYPE lvsd_real_weight_current gauge\n"
        "lvsd_real_weight_current{service=\"research/25\",real=\"203.0.113.81:25\"} 1\n");
}

TEST_CASE("exposition: label values escape backslash, double quote and line feed; HELP escapes backslash and line feed") {
  CHECK(metrics::labels({{"service", "a\\b\"c\nd"}}) == "{service=\"a\\\\b\\\"c\\nd\"}");
  CHECK(metrics::labels({}) == "");
  std::string out;
  metrics::TextWriter w(out);
  w.family("x", metrics::Type::gauge, "back\\slash \"quoted\"\nnext");
  CHECK(out == "# HELP x back\\\\slash \"quoted\"\\nnext\n# TYPE x gauge\n");
}

TEST_CASE("exposition: values are written in the shortest form that reads back, with NaN and infinities spelled out") {
  auto v = [](double d) {
    std::string s;
    metrics::append_value(s, d);
    return s;
  };
  CHECK(v(3) == "3");
  CHECK(v(0.25) == "0.25");
  CHECK(v(-1.5) == "-1.5");
  CHECK(v(0.1) == "0.1");
  CHECK(v(std::numeric_limits<double>::quiet_NaN()) == "NaN");
  CHECK(v(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(v(-std::numeric_limits<double>::infinity()) == "-Inf");
  std::string s;
  metrics::append_value(s, std::uint64_t{18446744073709551615ULL});
  CHECK(s == "18446744073709551615");
}

TEST_CASE("histogram: buckets are le (inclusive), cumulative in the output, +Inf last, with _sum and _count") {
  metrics::Histogram h({0.125, 0.5, 1});
  h.observe(0.125);  // on a bound: that bucket
  h.observe(0.25);
  h.observe(0.75);
  h.observe(8);      // above every bound
  CHECK(h.counts() == std::vector<std::uint64_t>{1, 1, 1, 1});
  CHECK(h.count() == 4);
  CHECK(h.sum() == 9.125);
  std::string out;
  metrics::TextWriter w(out);
  w.histogram("lvsd_check_duration_seconds", {{"kind", "smtp"}}, h);
  CHECK(out ==
        "lvsd_check_duration_seconds_bucket{kind=\"smtp\",le=\"0.125\"} 1\n"
        "lvsd_check_duration_seconds_bucket{kind=\"smtp\",le=\"0.5\"} 2\n"
        "lvsd_check_duration_seconds_bucket{kind=\"smtp\",le=\"1\"} 3\n"
        "lvsd_check_duration_seconds_bucket{kind=\"smtp\",le=\"+Inf\"} 4\n"
        "lvsd_check_duration_seconds_sum{kind=\"smtp\"} 9.125\n"
        "lvsd_check_duration_seconds_count{kind=\"smtp\"} 4\n");
}

TEST_CASE("histogram: unsorted or repeated bounds are put in order once, so the output stays valid") {
  metrics::Histogram h({1, 0.1, 1});
  CHECK(h.bounds() == std::vector<double>{0.1, 1});
  CHECK(h.counts().size() == 3);
  CHECK(metrics::latency_buckets().front() == 0.001);
}
