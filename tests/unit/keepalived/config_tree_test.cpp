// keepalived.conf as a tree: tokens, comments, quotes, blocks, includes, @conditionals
// and $parameters, with errors that name the line.
#include <catch2/catch.hpp>

#include "fake_files.h"

using namespace lvs::keepalived;
using lvs::keepalived::test::FakeFiles;
using lvs::keepalived::test::parse_text;

namespace {
std::vector<std::string> words(std::initializer_list<const char*> w) { return {w.begin(), w.end()}; }
}  // namespace

TEST_CASE("parse: keywords, values and nested blocks keep their lines") {
  ParseResult r = parse_text(
      "global_defs {\n"
      "   router_id LVS_DEVEL\n"
      "}\n"
      "\n"
      "virtual_server 192.0.2.10 25 {\n"
      "  real_server 203.0.113.11 25 {\n"
      "    weight 100\n"
      "  }\n"
      "}\n");
  REQUIRE(r.ok());
  REQUIRE(r.statements.size() == 2);
  CHECK(r.statements[0].words == words({"global_defs"}));
  CHECK(r.statements[0].has_block);
  CHECK(r.statements[0].block[0].words == words({"router_id", "LVS_DEVEL"}));
  CHECK(r.statements[0].block[0].where.line == 2);
  const Statement& vs = r.statements[1];
  CHECK(vs.words == words({"virtual_server", "192.0.2.10", "25"}));
  CHECK(vs.where == Location{"/etc/keepalived/keepalived.conf", 5});
  CHECK(vs.block[0].block[0].words == words({"weight", "100"}));
  CHECK(vs.block[0].block[0].where.line == 7);
}

TEST_CASE("parse: # and ! start comments anywhere outside quotes") {
  ParseResult r = parse_text(
      "! Configuration File for keepalived\n"
      "# another comment\n"
      "vs {\n"
      "  inhibit_on_failure        ! set weight to 0\n"
      "  lb_algo rr #comment\n"
      "  helo_name \"a#b!c\"\n"
      "}\n");
  REQUIRE(r.ok());
  REQUIRE(r.statements.size() == 1);
  const auto& b = r.statements[0].block;
  REQUIRE(b.size() == 3);
  CHECK(b[0].words == words({"inhibit_on_failure"}));
  CHECK(b[1].words == words({"lb_algo", "rr"}));
  CHECK(b[2].words == words({"helo_name", "a#b!c"}));
}

TEST_CASE("parse: quoted strings join words, keep spaces and take escapes") {
  ParseResult r = parse_text("misc_path \"/usr/bin/check arg1 arg2\"\nx abcd\" efg h \"mnop 'it''s' \"q\\\"t\"\n");
  REQUIRE(r.ok());
  CHECK(r.statements[0].words == words({"misc_path", "/usr/bin/check arg1 arg2"}));
  CHECK(r.statements[1].words == words({"x", "abcd efg h mnop", "its", "q\"t"}));
}

TEST_CASE("parse: braces on one line, on the next line, and back to back") {
  ParseResult r = parse_text(
      "unicast_peer { 198.51.100.2 198.51.100.3 }\n"
      "virtual_server 192.0.2.10 25\n"
      "{\n"
      "  real_server 203.0.113.11 25 { weight 2 }\n"
      "}\n"
      "a{b}\n");
  REQUIRE(r.ok());
  REQUIRE(r.statements.size() == 3);
  CHECK(r.statements[0].block[0].words == words({"198.51.100.2", "198.51.100.3"}));
  CHECK(r.statements[1].has_block);
  CHECK(r.statements[1].block[0].block[0].words == words({"weight", "2"}));
  CHECK(r.statements[2].words == words({"a"}));
  CHECK(r.statements[2].block[0].words == words({"b"}));
}

TEST_CASE("parse: an unterminated quote is an error on its line") {
  ParseResult r = parse_text("global_defs {\n  router_id \"lb1\n}\n");
  REQUIRE(!r.ok());
  CHECK(r.error->where.line == 2);
  CHECK(r.error->message.find("unterminated quoted string") != std::string::npos);
  CHECK(r.error->to_string("error") == "/etc/keepalived/keepalived.conf:2: error: " + r.error->message);
}

TEST_CASE("parse: an unclosed block names the line that opened it") {
  ParseResult r = parse_text("global_defs {\n}\nvirtual_server 192.0.2.10 25 {\n  real_server 203.0.113.11 25 {\n  }\n");
  REQUIRE(!r.ok());
  CHECK(r.error->where.line == 3);
  CHECK(r.error->message.find("'virtual_server' is not closed") != std::string::npos);
}

TEST_CASE("parse: a stray '}' and a '{' without keyword are errors on their lines") {
  ParseResult close = parse_text("a {\n}\n}\n");
  REQUIRE(!close.ok());
  CHECK(close.error->where.line == 3);
  CHECK(close.error->message == "'}' closes no block");
  ParseResult open = parse_text("a { }\n{\n");
  REQUIRE(!open.ok());
  CHECK(open.error->where.line == 2);
}

TEST_CASE("parse: include reads files relative to the including file, in glob order, inside the block") {
  FakeFiles files;
  files.files["/etc/keepalived/conf.d/a.conf"] = "real_server 203.0.113.11 25\n";
  files.files["/etc/keepalived/conf.d/b.conf"] = "real_server 203.0.113.12 25\ninclude ../more/c.conf\n";
  files.files["/etc/keepalived/more/c.conf"] = "real_server 203.0.113.13 25\n";
  files.files["/etc/keepalived/other.txt"] = "not included\n";
  ParseResult r = parse_text("virtual_server 192.0.2.10 25 {\n  include conf.d/*.conf   # the reals\n}\n", &files);
  REQUIRE(r.ok());
  REQUIRE(r.statements.size() == 1);
  const auto& b = r.statements[0].block;
  REQUIRE(b.size() == 3);
  CHECK(b[0].words[1] == "203.0.113.11");
  CHECK(b[0].where == Location{"/etc/keepalived/conf.d/a.conf", 1});
  CHECK(b[1].where == Location{"/etc/keepalived/conf.d/b.conf", 1});
  CHECK(b[2].where == Location{"/etc/keepalived/more/c.conf", 1});
}

TEST_CASE("parse: an include matching nothing is a warning, a file including itself an error") {
  FakeFiles files;
  ParseResult none = parse_text("include /nowhere/*.conf\n", &files);
  REQUIRE(none.ok());
  REQUIRE(none.warnings.size() == 1);
  CHECK(none.warnings[0].message == "include /nowhere/*.conf matched no file");

  files.files["/etc/keepalived/a.conf"] = "x 1\ninclude b.conf\n";
  files.files["/etc/keepalived/b.conf"] = "y 2\ninclude a.conf\n";
  ParseResult loop = parse_text("include a.conf\n", &files);
  REQUIRE(!loop.ok());
  CHECK(loop.error->where == Location{"/etc/keepalived/b.conf", 2});
  CHECK(loop.error->message.find("include loop") != std::string::npos);
}

TEST_CASE("parse: includes nest only so deep") {
  FakeFiles files;
  for (int i = 0; i < 12; ++i)
    files.files["/etc/keepalived/f" + std::to_string(i) + ".conf"] = "include f" + std::to_string(i + 1) + ".conf\n";
  ParseOptions options;
  options.max_include_depth = 8;
  ParseResult r = parse_text("include f0.conf\n", &files, options);
  REQUIRE(!r.ok());
  CHECK(r.error->message.find("deeper than 8") != std::string::npos);
  CHECK(r.error->where.file == "/etc/keepalived/f7.conf");
  CHECK(files.calls == 8);
}

TEST_CASE("parse: @id lines apply to that config id only, @^id to all others") {
  const char* text =
      "@main router_id main_router\n"
      "@backup router_id backup_router\n"
      "@^main peer 1.2.3.4\n";
  ParseOptions main;
  main.config_id = "main";
  ParseResult m = parse_text(text, nullptr, main);
  REQUIRE(m.ok());
  REQUIRE(m.statements.size() == 1);
  CHECK(m.statements[0].words == words({"router_id", "main_router"}));

  ParseOptions backup;
  backup.config_id = "backup";
  ParseResult b = parse_text(text, nullptr, backup);
  REQUIRE(b.statements.size() == 2);
  CHECK(b.statements[0].words == words({"router_id", "backup_router"}));
  CHECK(b.statements[1].words == words({"peer", "1.2.3.4"}));

  // No id given: lines for an id are skipped, each with a warning on its line.
  ParseResult none = parse_text(text);
  REQUIRE(none.statements.size() == 1);
  CHECK(none.statements[0].words == words({"peer", "1.2.3.4"}));
  REQUIRE(none.warnings.size() == 2);
  CHECK(none.warnings[0].where.line == 1);
  CHECK(none.warnings[1].message.find("--config-id backup") != std::string::npos);
}

TEST_CASE("parse: $PARAMETER definitions are substituted, ${NAME} inside words too") {
  ParseResult r = parse_text(
      "$BASE=10.2.${SUB}\n"
      "$SUB=0\n"
      "addr ${BASE}.100/32\n"
      "$PRIO=240\n"
      "priority $PRIO\n"
      "left $UNDEFINED alone\n");
  REQUIRE(r.ok());
  REQUIRE(r.statements.size() == 3);
  CHECK(r.statements[0].words == words({"addr", "10.2.0.100/32"}));
  CHECK(r.statements[1].words == words({"priority", "240"}));
  CHECK(r.statements[2].words == words({"left", "$UNDEFINED", "alone"}));
}

TEST_CASE("parse: a parameter that holds itself twice is an error on its line, not a line of 2^32 copies") {
  // Found by keepalived_fuzz: each of the 32 substitution passes doubled the line.
  ParseResult r = parse_text("$A=${A} ${A}\nvalue ${A}\n");
  REQUIRE(!r.ok());
  CHECK(r.error->where.line == 2);
  CHECK(r.error->message.find("longer than 65536 bytes") != std::string::npos);
}

TEST_CASE("parse: a self-referring parameter and a multi-line definition are errors") {
  ParseResult loop = parse_text("$A=x ${A}\nvalue ${A}\n");
  REQUIRE(!loop.ok());
  CHECK(loop.error->where.line == 2);
  ParseResult multi = parse_text("$RS= \\\n  real_server 1.2.3.4 80\n");
  REQUIRE(!multi.ok());
  CHECK(multi.error->where.line == 1);
  CHECK(multi.error->message.find("multi-line") != std::string::npos);
}
