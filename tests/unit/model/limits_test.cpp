#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "model/loader.h"
#include "model/schema_check.h"
#include "test_support.h"

using namespace lvs::model;

TEST_CASE("limits: a 50 MB file is refused with the size limit in the message, without reading it all") {
  test::TempDir dir;
  std::string path = dir.path() + "/huge.json";
  {
    std::ofstream out(path, std::ios::binary);
    std::string chunk(1 << 20, ' ');
    out << "{\"cluster\": \"";
    for (int i = 0; i < 50; ++i) out << chunk;
    out << "\"}";
  }
  auto r = load_cluster_file(path);
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].message.find("more than the limit of 16 MiB") != std::string::npos);
  CHECK_FALSE(r.ok());
  CHECK_FALSE(r.read_failed);
}

TEST_CASE("limits: 50 MB of text given directly is refused the same way") {
  std::string text(50u * 1024 * 1024, '[');
  auto r = load_cluster_text(text, "huge.json");
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].message.find("more than the limit of 16 MiB") != std::string::npos);
}

TEST_CASE("limits: nesting 10,000 deep gives a clear error at the 65th level and no crash") {
  for (const char* open : {"[", "{\"a\":"}) {
    std::string text;
    for (int i = 0; i < 10000; ++i) text += open;
    auto r = load_cluster_text(text, "deep.json");
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].message == "nesting is deeper than 64 levels");
    CHECK(r.diagnostics[0].line == 1);
    CHECK(r.diagnostics[0].column == 1 + 64 * static_cast<int>(std::string(open).size()));
    CHECK_FALSE(r.ok());
  }
}

TEST_CASE("limits: nesting just inside the limit is read (and then judged by the schema)") {
  std::string text = "{\"cluster\": ";
  for (int i = 0; i < 63; ++i) text += "[";
  for (int i = 0; i < 63; ++i) text += "]";
  text += "}";
  auto r = load_cluster_text(text, "deep.json");
  INFO(test::dump(r.diagnostics));
  REQUIRE_FALSE(r.diagnostics.empty());
  CHECK(std::none_of(r.diagnostics.begin(), r.diagnostics.end(),
                     [](const Diagnostic& d) { return d.message.find("nesting") != std::string::npos; }));
}

TEST_CASE("limits: the reference descriptor cut at every byte gives an error with a position") {
  std::string text = test::read_file(test::examples_dir() + "/mail-cluster.json");
  // Trailing whitespace after the document may be cut without harm; stop before it.
  std::size_t end = text.find_last_not_of(" \n") + 1;
  for (std::size_t n = 0; n < end; ++n) {
    auto r = load_cluster_text(std::string_view(text).substr(0, n), "cut.json");
    if (r.ok() || r.diagnostics.empty() || r.diagnostics[0].line < 1) {
      FAIL("cut at byte " << n << ":\n" << test::dump(r.diagnostics));
    }
  }
}

TEST_CASE("limits: an unreadable path is a read failure, not an invalid descriptor") {
  auto missing = load_cluster_file("/nonexistent/lvs-model-test.json");
  CHECK(missing.read_failed);
  REQUIRE(missing.diagnostics.size() == 1);
  CHECK(missing.diagnostics[0].message.find("cannot open") != std::string::npos);
  test::TempDir dir;
  auto directory = load_cluster_file(dir.path());
  CHECK(directory.read_failed);
  CHECK(directory.diagnostics.at(0).message == "the file is not a regular file");
}

TEST_CASE("limits: a schema that cannot be found is a read failure naming the path") {
  LoadOptions o;
  o.schema_path = "/nonexistent/lvs-model-test.schema.json";
  auto r = load_cluster_file(test::examples_dir() + "/minimal.json", o);
  CHECK(r.read_failed);
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].message.find("cannot read the schema /nonexistent/lvs-model-test.schema.json") !=
        std::string::npos);
  CHECK(find_schema_path(o) == o.schema_path);
}

TEST_CASE("schema: without --schema the loader reads no file: the schema is compiled in, as in the source tree") {
  // An installed lvsctl once looked for /usr/local/share/lvs/cluster.schema.json and
  // exited 2 when the package had put it elsewhere.
  CHECK(find_schema_path(LoadOptions{}).empty());
  CHECK(builtin_schema_text() == test::read_file(test::source_tree() + "/schemas/cluster.schema.json"));
  auto r = load_cluster_file(test::examples_dir() + "/mail-cluster.json");
  CHECK(r.ok());
  CHECK_FALSE(r.read_failed);
}

TEST_CASE("limits: a FIFO given as descriptor is refused at once, not waited on") {
  test::TempDir dir;
  const std::string fifo = dir.path() + "/cluster.json";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // A child does the load, so a blocking open (no writer will ever come) fails this test
  // through the alarm instead of hanging the whole run.
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::alarm(20);
    auto r = load_cluster_file(fifo);
    bool right = r.read_failed && r.diagnostics.size() == 1 &&
                 r.diagnostics[0].message == "the file is not a regular file";
    ::_exit(right ? 0 : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  INFO("child status " << status);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("limits: an object with 200,000 unknown fields is read and every field reported") {
  std::string text = test::read_file(test::examples_dir() + "/minimal.json");
  const std::size_t brace = text.find('{');
  std::string extra;
  const int n = 200000;
  for (int i = 0; i < n; ++i) extra += "\"unknown" + std::to_string(i) + "\": 0, ";
  text.insert(brace + 1, extra);
  auto r = load_cluster_text(text, "wide.json");
  CHECK_FALSE(r.ok());
  std::size_t unknown = 0;
  for (const auto& d : r.diagnostics)
    if (d.message.rfind("unknown field \"unknown", 0) == 0 && d.line > 0) ++unknown;
  CHECK(unknown == static_cast<std::size_t>(n));
}
