// The fast schema check (model/schema_fast.h) against valijson, the reference: on every
// descriptor the tests have and on thousands of one-edit mutants of the examples, "surely
// valid" never meets a document valijson rejects, and the two agree on the verdict.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <regex>

#include "model/json_positions.h"
#include "model/schema_check.h"
#include "model/schema_fast.h"
#include "test_support.h"

using namespace lvs::model;

namespace {

std::string schema_path() { return test::source_tree() + "/schemas/cluster.schema.json"; }

const FastSchema& fast() {
  static const FastSchema compiled = [] {
    auto doc = nlohmann::json::parse(test::read_file(schema_path()));
    auto f = FastSchema::compile(doc);
    REQUIRE(f);
    return *f;
  }();
  return compiled;
}

bool valijson_valid(const nlohmann::json& doc) {
  auto r = check_against_schema(doc, schema_path(), SchemaEngine::valijson);
  REQUIRE(r);
  return r->empty();
}

// As the loader reads it (duplicate keys and all); nullopt when it is not JSON.
std::optional<nlohmann::json> read(const std::string& path) {
  auto r = read_json_with_positions(test::read_file(path), JsonLimits{});
  if (!r.json) return std::nullopt;
  return r.json->value;
}

// Every place in a document (JSON pointers), root first.
void places(const nlohmann::json& v, const std::string& at, std::vector<std::string>& out) {
  out.push_back(at);
  if (v.is_object())
    for (const auto& [k, m] : v.items()) places(m, at + "/" + escape_pointer_token(k), out);
  if (v.is_array())
    for (std::size_t i = 0; i < v.size(); ++i) places(v[i], at + "/" + std::to_string(i), out);
}

}  // namespace

TEST_CASE("fast schema check: the project's schema compiles, so a valid descriptor skips valijson") {
  // A keyword the fast check does not implement would silently send every load back to
  // valijson (half of `lvsctl apply`'s time at 10,000 services): implement it, or see this fail.
  CHECK(schema_has_fast_check(schema_path()));
  for (const auto& f : test::json_files_in(test::examples_dir())) {
    INFO(f);
    auto doc = read(f);
    REQUIRE(doc);
    CHECK(fast().surely_valid(*doc));
    CHECK(valijson_valid(*doc));
  }
}

TEST_CASE("fast schema check: it agrees with valijson on every test descriptor and the fuzz corpus") {
  std::vector<std::string> files = test::json_files_in(test::examples_dir());
  for (const auto& f : test::json_files_in(test::invalid_dir())) files.push_back(f);
  // The fuzzer's corpus, when a fuzz run (tests/fuzz/run.sh: build-fuzz/) left one.
  for (const std::string& corpus : {test::source_tree() + "/build-fuzz/fuzz/corpus",
                                   std::string(std::getenv("LVS_FUZZ_BUILD") ? std::getenv("LVS_FUZZ_BUILD") : "") +
                                       "/fuzz/corpus"}) {
    std::error_code ec;
    if (std::filesystem::is_directory(corpus, ec))
      for (const auto& e : std::filesystem::directory_iterator(corpus, ec)) files.push_back(e.path().string());
  }
  std::size_t compared = 0;
  for (const auto& f : files) {
    auto doc = read(f);
    if (!doc) continue;
    INFO(f);
    CHECK(fast().surely_valid(*doc) == valijson_valid(*doc));
    ++compared;
  }
  INFO(compared << " documents compared");
  CHECK(compared >= 60);
}

TEST_CASE("fast schema check: one-edit mutants of the examples get valijson's verdict") {
  const std::vector<nlohmann::json> values{
      nullptr, true, 0, -1, 1, 255, 65535, 65536, 4294967296, 1.5, "", "x", std::string(70, 'a'),
      "192.0.2.1", "rr", "Bad Name", nlohmann::json::array(), nlohmann::json::object(),
      nlohmann::json::array({1, 1})};
  const nlohmann::json huge = std::numeric_limits<std::uint64_t>::max();  // above INT64_MAX
  std::size_t mutants = 0, valid = 0;
  auto compare = [&](const nlohmann::json& doc, bool unsure_allowed) {
    ++mutants;
    const bool f = fast().surely_valid(doc), v = valijson_valid(doc);
    if (f) REQUIRE(v);  // never "surely valid" when valijson says no
    if (!unsure_allowed) CHECK(f == v);
    if (v) ++valid;
  };
  for (const auto& file : test::json_files_in(test::examples_dir())) {
    INFO(file);
    auto doc = read(file);
    REQUIRE(doc);
    std::vector<std::string> at;
    places(*doc, "", at);
    for (const auto& p : at) {
      INFO(p);
      const nlohmann::json::json_pointer ptr(p);
      for (const auto& v : values) {
        auto m = *doc;
        m[ptr] = v;
        compare(m, false);
      }
      auto m = *doc;
      m[ptr] = huge;
      compare(m, true);  // the fast check leaves these to valijson
      if (!p.empty()) {
        auto gone = *doc;
        auto& parent = gone[ptr.parent_pointer()];
        if (parent.is_array()) parent.erase(static_cast<std::size_t>(std::stoul(ptr.back())));
        else parent.erase(ptr.back());
        compare(gone, false);
      }
      if ((*doc)[ptr].is_object()) {
        auto extra = *doc;
        extra[ptr]["bogus"] = 1;
        compare(extra, false);
      }
      if ((*doc)[ptr].is_array() && !(*doc)[ptr].empty()) {
        auto twice = *doc;
        twice[ptr].push_back((*doc)[ptr][0]);
        compare(twice, false);
      }
    }
  }
  INFO(mutants << " mutants, " << valid << " valid");
  CHECK(mutants > 5000);
  CHECK(valid > 500);  // both verdicts are well represented
}

TEST_CASE("simple patterns: taken only in the simple form, and they match as std::regex_search does") {
  CHECK(SimplePattern::parse("^[A-Za-z0-9][A-Za-z0-9._-]*$"));  // the schema's name
  CHECK(SimplePattern::parse("^/"));
  CHECK_FALSE(SimplePattern::parse("^[^/\\s:]+$"));  // escapes and negated classes: std::regex
  CHECK_FALSE(SimplePattern::parse("[a-z]+$"));      // unanchored
  CHECK_FALSE(SimplePattern::parse("^a*b$"));        // a repeat before the end
  CHECK_FALSE(SimplePattern::parse("^a.b$"));
  CHECK_FALSE(SimplePattern::parse("^(ab)$"));
  const std::vector<std::string> patterns{
      "^[A-Za-z0-9][A-Za-z0-9._-]*$", "^/", "^[a-z]+$", "^ab[0-9]", "^x$", "^[-a]*$", "^[a-c-]+", "^[._]$", "^$", "^"};
  std::vector<std::string> texts{"", "a", "A", "0", "-", ".", "_", "/", "ab", "ab1", "ab12", "x", "xx", "a-b", "-a",
                                 "a.b_c-d", "Research-1", "research/25", "bad name", "trailing\n", "\nx", "x\n",
                                 "caf\xc3\xa9", "\xff", std::string(64, 'a'), "/etc/lvs", "etc", "a$", "[a]", "c-", "..",
                                 std::string(1, '\0'), "a\0b"};
  for (int c = 1; c < 256; ++c) texts.push_back(std::string(1, static_cast<char>(c)) + "a");
  std::size_t compared = 0;
  for (const auto& p : patterns) {
    auto simple = SimplePattern::parse(p);
    INFO(p);
    REQUIRE(simple);
    const std::regex re(p);
    for (const auto& t : texts) {
      INFO(t);
      CHECK(simple->search(t) == std::regex_search(t, re));
      ++compared;
    }
  }
  CHECK(compared > 2000);
}
