#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdio>

#include <nlohmann/json.hpp>

#include "test_support.h"

using namespace lvs::model;

namespace {

struct Run {
  int status = -1;
  std::string out;
};

// Runs lvsctl with `args`, capturing stdout (stderr is discarded).
Run lvsctl(const std::string& args) {
#ifndef LVSCTL_BINARY
  FAIL("lvsctl was not built in this tree, so its exit codes cannot be tested");
  return {};
#else
  std::string cmd = std::string("'") + LVSCTL_BINARY + "' " + args + " 2>/dev/null";
  Run r;
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
#endif
}

}  // namespace

TEST_CASE("lvsctl validate: 0 for a valid descriptor, with a summary") {
  auto r = lvsctl("validate '" + test::examples_dir() + "/mail-cluster.json'");
  CHECK(r.status == 0);
  CHECK(r.out.find("services:  10 (fo 4, rr 6)") != std::string::npos);
  CHECK(r.out.find("192.0.2.10") != std::string::npos);
  CHECK(r.out.find("VRRP unicast") != std::string::npos);
}

TEST_CASE("lvsctl validate: 0 when there are only warnings") {
  auto r = lvsctl("validate '" + test::invalid_dir() + "/sem-fo-equal-weights.json'");
  CHECK(r.status == 0);
}

TEST_CASE("lvsctl validate: 1 for an invalid descriptor") {
  CHECK(lvsctl("validate '" + test::invalid_dir() + "/schema-port-above-maximum.json'").status == 1);
  CHECK(lvsctl("validate '" + test::invalid_dir() + "/syntax-truncated.json'").status == 1);
}

TEST_CASE("lvsctl validate: 2 when the file cannot be read or the usage is wrong") {
  CHECK(lvsctl("validate /nonexistent/lvs-model-test.json").status == 2);
  CHECK(lvsctl("validate").status == 2);
  CHECK(lvsctl("validate --no-such-option x.json").status == 2);
  CHECK(lvsctl("validate --schema /nonexistent/schema.json '" + test::examples_dir() + "/minimal.json'").status == 2);
}

TEST_CASE("lvsctl validate --json: the summary and diagnostics as JSON") {
  auto ok = lvsctl("validate --json '" + test::examples_dir() + "/mail-cluster.json'");
  CHECK(ok.status == 0);
  auto j = nlohmann::json::parse(ok.out);
  CHECK(j["valid"] == true);
  CHECK(j["summary"]["services"] == 10);
  CHECK(j["summary"]["services_per_scheduler"]["fo"] == 4);
  CHECK(j["summary"]["pools"] == 2);
  CHECK(j["summary"]["reals"] == 4);
  auto bad = lvsctl("validate --json '" + test::invalid_dir() + "/schema-port-above-maximum.json'");
  CHECK(bad.status == 1);
  auto b = nlohmann::json::parse(bad.out);
  CHECK(b["valid"] == false);
  REQUIRE(b["diagnostics"].size() == 1);
  CHECK(b["diagnostics"][0]["pointer"] == "/services/0/port");
  CHECK(b["diagnostics"][0]["message"] == "70000 is above the maximum 65535");
  CHECK(b["diagnostics"][0]["line"].get<int>() > 0);
}
