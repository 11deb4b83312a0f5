#include <catch2/catch.hpp>

#include "model/json_positions.h"

using lvs::model::JsonLimits;
using lvs::model::read_json_with_positions;
using lvs::model::TextPosition;

TEST_CASE("json reader: every value and key is found by JSON pointer with line and column") {
  auto r = read_json_with_positions("{\n  \"a\": [1,\n    {\"b\": true}],\n  \"c~/d\": null\n}");
  REQUIRE(r.json);
  REQUIRE(r.problems.empty());
  CHECK(r.json->position_of("") == TextPosition{1, 1});
  CHECK(r.json->position_of("/a") == TextPosition{2, 8});
  CHECK(r.json->position_of("/a/0") == TextPosition{2, 9});
  CHECK(r.json->position_of("/a/1/b") == TextPosition{3, 11});
  CHECK(r.json->key_position_of("/a/1/b") == TextPosition{3, 6});
  CHECK(r.json->position_of("/c~0~1d") == TextPosition{4, 11});
  // A pointer that was never written falls back to its nearest written ancestor.
  CHECK(r.json->position_of("/a/1/missing") == TextPosition{3, 5});
  CHECK(r.json->value["a"][1]["b"] == true);
}

TEST_CASE("json reader: columns count characters, not bytes, and CRLF ends a line once") {
  auto r = read_json_with_positions("{\"n\u00e9\u00e9\": 1,\r\n \"x\": 2}");
  REQUIRE(r.json);
  CHECK(r.json->position_of("/n\u00e9\u00e9") == TextPosition{1, 9});
  CHECK(r.json->position_of("/x") == TextPosition{2, 7});
}

TEST_CASE("json reader: a duplicate key is reported at the second key and the first value kept") {
  auto r = read_json_with_positions("{\"a\": 1,\n \"a\": {\"deep\": 2}}");
  REQUIRE(r.json);
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0].pointer == "/a");
  CHECK(r.problems[0].position == TextPosition{2, 2});
  CHECK(r.problems[0].message.find("duplicate field \"a\" (first written at line 1, column 2)") != std::string::npos);
  CHECK(r.json->value["a"] == 1);
  CHECK(r.json->position_of("/a") == TextPosition{1, 7});
}

TEST_CASE("json reader: escapes and surrogate pairs decode to UTF-8") {
  auto r = read_json_with_positions(R"({"s": "a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"})");
  REQUIRE(r.json);
  CHECK(r.json->value["s"] == "a\"\\/\b\f\n\r\t\u00e9\U0001F600");
}

TEST_CASE("json reader: integers keep their exact value; floats and huge numbers are told apart") {
  auto r = read_json_with_positions(
      R"({"i": -9223372036854775808, "u": 18446744073709551615, "f": 25.0, "e": 1e3})");
  REQUIRE(r.json);
  CHECK(r.json->value["i"].is_number_integer());
  CHECK(r.json->value["u"].get<std::uint64_t>() == 18446744073709551615ull);
  CHECK(r.json->value["f"].is_number_float());
  CHECK(r.json->value["e"].is_number_float());
  auto big = read_json_with_positions(R"({"n": 1e400})");
  CHECK_FALSE(big.json);
  REQUIRE(big.problems.size() == 1);
  CHECK(big.problems[0].message.find("too large") != std::string::npos);
}

TEST_CASE("json reader: a UTF-8 byte order mark is skipped") {
  auto r = read_json_with_positions("\xEF\xBB\xBF{\"a\": 1}");
  REQUIRE(r.json);
  CHECK(r.json->value["a"] == 1);
}

TEST_CASE("json reader: limits on depth, string length and value count end reading with a message") {
  JsonLimits limits;
  limits.max_depth = 3;
  limits.max_string_bytes = 8;
  limits.max_values = 5;
  auto deep = read_json_with_positions("[[[[1]]]]", limits);
  CHECK_FALSE(deep.json);
  CHECK(deep.problems.at(0).message == "nesting is deeper than 3 levels");
  CHECK(deep.problems.at(0).position == TextPosition{1, 4});
  auto longs = read_json_with_positions("[\"0123456789\"]", limits);
  CHECK_FALSE(longs.json);
  CHECK(longs.problems.at(0).message.find("longer than 8 bytes") != std::string::npos);
  auto many = read_json_with_positions("[1,2,3,4,5,6]", limits);
  CHECK_FALSE(many.json);
  CHECK(many.problems.at(0).message.find("more than 5 values") != std::string::npos);
}

TEST_CASE("json reader: invalid UTF-8 in strings is rejected: stray continuation, surrogate, beyond U+10FFFF") {
  for (const char* text : {"[\"\x80\"]", "[\"\xED\xA0\x80\"]", "[\"\xF4\x90\x80\x80\"]", "[\"\xE2\x82\"]"}) {
    auto r = read_json_with_positions(text);
    CHECK_FALSE(r.json);
    REQUIRE(r.problems.size() == 1);
    CHECK(r.problems[0].message.find("invalid UTF-8") != std::string::npos);
    CHECK(r.problems[0].position == TextPosition{1, 3});
  }
}

namespace {

// {"k0": 0, "k1": 1, ...}, optionally followed by every key again (each a duplicate).
std::string many_keys(int n, bool repeat) {
  std::string text = "{";
  for (int pass = 0; pass < (repeat ? 2 : 1); ++pass)
    for (int i = 0; i < n; ++i) text += (text.size() > 1 ? ",\"k" : "\"k") + std::to_string(i) + "\":" + std::to_string(i);
  return text + "}";
}

// The work done finding every member's position once (reading included).
std::uint64_t work_for(int n, bool repeat) {
  auto r = read_json_with_positions(many_keys(n, repeat));
  REQUIRE(r.json);
  REQUIRE(r.problems.size() == (repeat ? static_cast<std::size_t>(n) : 0u));
  for (int i = 0; i < n; i += 1) {
    auto key = "/k" + std::to_string(i);
    REQUIRE(r.json->key_position_of(key).line == 1);
  }
  return r.json->lookup_steps;
}

}  // namespace

TEST_CASE("json reader: finding positions in an object of many members grows about linearly, not quadratically") {
  // Each lookup was a scan of all members: 4x the members cost 16x the work.
  const int n = 20000;
  for (bool repeat : {false, true}) {
    INFO((repeat ? "every key written twice" : "distinct keys"));
    const std::uint64_t small = work_for(n, repeat);
    const std::uint64_t large = work_for(4 * n, repeat);
    INFO(small << " steps for " << n << " members, " << large << " for " << 4 * n);
    CHECK(large < 6 * small);
    CHECK(large < 40u * 4 * n);  // a few dozen comparisons per member at most
  }
}

TEST_CASE("json reader: member lookups by escaped pointer tokens find sorted and unsorted objects alike") {
  // Enough members that the object is looked up through its sorted index.
  std::string text = "{";
  for (int i = 0; i < 40; ++i) text += "\"m" + std::to_string(39 - i) + "\": " + std::to_string(i) + ", ";
  text += "\"a/b\": 1, \"c~d\": 2, \"\": 3, \"m~1\": 4}";
  auto r = read_json_with_positions(text);
  REQUIRE(r.json);
  for (int i = 0; i < 40; ++i) {
    auto p = r.json->position_of("/m" + std::to_string(39 - i));
    CHECK(r.json->value["m" + std::to_string(39 - i)] == i);
    CHECK(p.column > 1);
  }
  CHECK(r.json->key_position_of("/a~1b").column == static_cast<int>(text.find("\"a/b\"")) + 1);
  CHECK(r.json->key_position_of("/c~0d").column == static_cast<int>(text.find("\"c~d\"")) + 1);
  CHECK(r.json->key_position_of("/").column == static_cast<int>(text.find("\"\": 3")) + 1);
  CHECK(r.json->key_position_of("/m~01").column == static_cast<int>(text.find("\"m~1\"")) + 1);
  // Not there: "m~1" unescapes to "m/", and a bad escape names nothing; both fall back to the object.
  CHECK(r.json->key_position_of("/m~1") == TextPosition{1, 1});
  CHECK(r.json->key_position_of("/m~2") == TextPosition{1, 1});
  CHECK(r.json->key_position_of("/zz") == TextPosition{1, 1});
}
