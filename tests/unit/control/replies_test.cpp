// lib/control: the one JSON mapping of the control protocol, checked against the reply
// examples of daemon/README.md, and requests as lvsctl sends them.
#include <catch2/catch.hpp>


#include "control/replies.h"
#include "support/temp_dir.h"
#include "control/request.h"

namespace control = lvs::control;
using nlohmann::json;

namespace {

// Every `{"ok":...}` example of the README's "Replies" section.
std::vector<std::string> documented_replies() {
  const std::string doc = lvs::testing::source_file("daemon/README.md");
  REQUIRE_FALSE(doc.empty());
  const auto from = doc.find("### Replies");
  const auto to = doc.find("### Status document");
  REQUIRE(from != std::string::npos);
  REQUIRE(to != std::string::npos);
  std::vector<std::string> out;
  for (auto at = doc.find("`{\"ok\":", from); at < to; at = doc.find("`{\"ok\":", at + 1)) {
    const auto end = doc.find('`', at + 1);
    out.push_back(doc.substr(at + 1, end - at - 1));
  }
  return out;
}

template <typename T>
json round_trip(const json& j, lvs::Result<control::Decoded<T>> (*decode)(const json&)) {
  auto d = decode(j);
  REQUIRE(d);
  if (d->refused) return json(*d->refused);
  REQUIRE(d->value);
  return json(*d->value);
}

}  // namespace

TEST_CASE("control: every reply example in daemon/README.md decodes and encodes back to itself") {
  const auto examples = documented_replies();
  REQUIRE(examples.size() >= 6);
  std::size_t checked = 0;
  for (const auto& text : examples) {
    INFO(text);
    if (text.find("\"status\":{...}") != std::string::npos) continue;  // the status document has its own section
    json j = json::parse(text, nullptr, false);
    REQUIRE_FALSE(j.is_discarded());
    json back;
    if (j.contains("reals")) back = round_trip(j, control::decode_admin);
    else if (j.contains("checks")) back = round_trip(j, control::decode_check);
    else back = round_trip(j, control::decode_reload);  // a refusal decodes as one whatever the command
    CHECK(back == j);
    ++checked;
  }
  CHECK(checked >= 5);
}

TEST_CASE("control: a real without a check has null probe and ok, and no latency or transcript") {
  control::CheckReply r;
  r.checks.push_back({"smtp", "203.0.113.81:25", std::nullopt, std::nullopt, "no check configured", 0, ""});
  const json j = r;
  CHECK(j["checks"][0]["probe"].is_null());
  CHECK(j["checks"][0]["ok"].is_null());
  CHECK_FALSE(j["checks"][0].contains("latency_ms"));
  auto back = control::decode_check(j);
  REQUIRE(back);
  CHECK(back->value == r);
}

TEST_CASE("control: a reply of the wrong shape is an EPROTO error, not a crash") {
  auto r = control::decode_admin(json{{"ok", true}, {"reals", 7}});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == EPROTO);
  auto c = control::decode_check(json{{"ok", true}, {"checks", json::array({{{"ok", "yes"}}})}});
  REQUIRE_FALSE(c);
}

TEST_CASE("control: a request as lvsctl sends it parses back to the same request") {
  control::Request drain;
  drain.command = control::Command::drain;
  drain.real = "[2001:db8::81]:25";
  drain.service = "research";
  drain.deadline_s = 600;
  const json j = drain;
  CHECK(j == json{{"command", "drain"}, {"real", "[2001:db8::81]:25"}, {"service", "research"}, {"deadline_s", 600}});
  auto back = control::parse_request(j.dump());
  REQUIRE(back);
  CHECK(*back == drain);
  const json status = control::request_for(control::Command::status);
  CHECK(status == json{{"command", "status"}});
}
