// lvsd's command line: the options the daemon's parts take from it.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "daemon/options.h"

namespace {

std::optional<lvsd::CliOptions> parse(std::vector<std::string> args, int& exit_code) {
  args.insert(args.begin(), "lvsd");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  exit_code = -1;
  return lvsd::parse_cli(static_cast<int>(argv.size()), argv.data(), exit_code);
}

}  // namespace

TEST_CASE("--retire-deadline: 300 s unless given, 1..86400 s, anything else is a usage error") {
  int code = 0;
  auto o = parse({"--config", "c.json"}, code);
  REQUIRE(o);
  CHECK(o->retire_deadline_s == 300);
  o = parse({"--config", "c.json", "--retire-deadline", "60"}, code);
  REQUIRE(o);
  CHECK(o->retire_deadline_s == 60);
  for (const char* bad : {"0", "86401", "-5", "soon"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse({"--config", "c.json", "--retire-deadline", bad}, code));
    CHECK(code == 2);
  }
}
