#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <set>
#include <sstream>

#include "model/loader.h"
#include "test_support.h"

using namespace lvs::model;

namespace {

struct Case {
  std::string file, severity, pointer, fragment;
};

std::vector<Case> read_cases() {
  std::vector<Case> cases;
  std::istringstream in(test::read_file(test::invalid_dir() + "/cases.txt"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    Case c;
    std::istringstream fields(line);
    std::getline(fields, c.file, '|');
    std::getline(fields, c.severity, '|');
    std::getline(fields, c.pointer, '|');
    std::getline(fields, c.fragment);
    cases.push_back(c);
  }
  return cases;
}

}  // namespace

TEST_CASE("invalid descriptors: each gives its expected pointer and message, with a position") {
  auto cases = read_cases();
  REQUIRE(cases.size() >= 40);
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.file) {
      auto r = load_cluster_file(test::invalid_dir() + "/" + c.file);
      INFO("expected " << c.severity << " at '" << c.pointer << "': " << c.fragment << "\ngot:\n"
                       << test::dump(r.diagnostics));
      Severity want = c.severity == "warning" ? Severity::warning : Severity::error;
      bool found = std::any_of(r.diagnostics.begin(), r.diagnostics.end(), [&](const Diagnostic& d) {
        return d.severity == want && d.pointer == c.pointer && d.message.find(c.fragment) != std::string::npos;
      });
      CHECK(found);
      // Errors block; a warning alone leaves the descriptor usable.
      CHECK(r.ok() == (want == Severity::warning));
      CHECK_FALSE(r.read_failed);
      for (const auto& d : r.diagnostics) {
        CHECK(d.line >= 1);
        CHECK(d.column >= 1);
        CHECK(d.to_string().rfind(test::invalid_dir() + "/" + c.file + ":", 0) == 0);
      }
    }
  }
}

TEST_CASE("invalid descriptors: every file in the folder has an expectation and vice versa") {
  std::set<std::string> listed;
  for (const auto& c : read_cases()) listed.insert(c.file);
  std::set<std::string> present;
  for (const auto& f : test::json_files_in(test::invalid_dir()))
    present.insert(std::filesystem::path(f).filename().string());
  CHECK(listed == present);
}

TEST_CASE("diagnostics: the message names file, line, column, pointer, then the problem") {
  Diagnostic d{Severity::error, "mail.json", 41, 17, "/services/3/port", "70000 is above the maximum 65535"};
  CHECK(d.to_string() == "mail.json:41:17: /services/3/port: 70000 is above the maximum 65535");
  Diagnostic w{Severity::warning, "mail.json", 12, 5, "/services/4/scheduler", "failover order is undefined"};
  CHECK(w.to_string() == "mail.json:12:5: warning: /services/4/scheduler: failover order is undefined");
  Diagnostic s{Severity::error, "mail.json", 3, 9, "", "trailing comma before '}'"};
  CHECK(s.to_string() == "mail.json:3:9: trailing comma before '}'");
}

TEST_CASE("diagnostics: the position is where the offending value is written") {
  std::string path = test::invalid_dir() + "/schema-port-above-maximum.json";
  std::string text = test::read_file(path);
  auto at = text.find("70000");
  REQUIRE(at != std::string::npos);
  int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(at), '\n'));
  int column = static_cast<int>(at - text.rfind('\n', at));
  auto r = load_cluster_file(path);
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].to_string() == path + ":" + std::to_string(line) + ":" + std::to_string(column) +
                                            ": /services/0/port: 70000 is above the maximum 65535");
}

TEST_CASE("diagnostics: every problem is reported, not just the first, in file order") {
  std::string text = R"({
  "cluster": "t",
  "nodes": [
    {"name": "lb1", "address": "198.51.100.11", "priority": 100},
    {"name": "lb2", "address": "198.51.100.12", "priority": 100}
  ],
  "services": [
    {"name": "a", "address": "192.0.2.10", "port": 70000, "scheduler": "rr", "reals": [{"address": "203.0.113.1"}]},
    {"name": "b", "address": "192.0.2.10", "port": 25, "scheduler": "rr", "pool": "missing", "prot": "tcp"}
  ]
})";
  auto r = load_cluster_text(text, "many.json");
  INFO(test::dump(r.diagnostics));
  REQUIRE(r.diagnostics.size() == 4);
  CHECK(r.diagnostics[0].pointer == "/nodes/1/priority");
  CHECK(r.diagnostics[1].pointer == "/services/0/port");
  CHECK(r.diagnostics[2].pointer == "/services/1/pool");
  CHECK(r.diagnostics[3].pointer == "/services/1/prot");
  CHECK_FALSE(r.ok());
}
