// `lvsctl import-keepalived` as a function: files on disk with includes, exit codes,
// the descriptor on stdout and the warnings on stderr.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "import_keepalived.h"
#include "support/temp_dir.h"

using lvs::testing::TempDir;
using lvs::testing::write_file;

TEST_CASE("import-keepalived: a file with an include prints a valid descriptor and warnings with lines") {
  TempDir dir;
  write_file(dir.file("keepalived.conf"),
             "global_defs {\n  router_id lb1\n  vrrp_version 3\n}\n"
             "include conf.d/*.conf\n");
  ::mkdir(dir.file("conf.d").c_str(), 0700);
  write_file(dir.file("conf.d/mail.conf"),
             "virtual_server 192.0.2.10 110 {\n"
             "  lb_algo rr\n"
             "  real_server 203.0.113.11 110 {\n"
             "    notify_up /usr/local/bin/up.sh\n"
             "    TCP_CHECK {\n      connect_timeout 3\n    }\n"
             "  }\n"
             "}\n");
  lvsctl::ImportArgs args;
  args.file = dir.file("keepalived.conf");
  args.options.node_address = "198.51.100.11";
  lvsctl::CommandOutput r = lvsctl::import_keepalived_command(args);
  INFO(r.err);
  CHECK(r.exit_code == lvsctl::kExitOk);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["cluster"] == "lb1");
  CHECK(j["services"][0]["port"] == 110);
  CHECK(r.err.find(dir.file("conf.d/mail.conf") + ":4: warning: 'notify_up' is not carried") != std::string::npos);
  CHECK(r.err.find("1 warning(s); the descriptor validates") != std::string::npos);
}

TEST_CASE("import-keepalived: unreadable and unparsable files exit 2 with nothing on stdout") {
  TempDir dir;
  lvsctl::ImportArgs args;
  args.file = dir.file("missing.conf");
  lvsctl::CommandOutput missing = lvsctl::import_keepalived_command(args);
  CHECK(missing.exit_code == lvsctl::kExitError);
  CHECK(missing.out.empty());
  CHECK(missing.err.find("cannot read") != std::string::npos);

  write_file(dir.file("bad.conf"), "virtual_server 192.0.2.10 25 {\n");
  args.file = dir.file("bad.conf");
  lvsctl::CommandOutput bad = lvsctl::import_keepalived_command(args);
  CHECK(bad.exit_code == lvsctl::kExitError);
  CHECK(bad.out.empty());
  CHECK(bad.err.find("bad.conf:1: error: the block of 'virtual_server' is not closed") != std::string::npos);
}

TEST_CASE("import-keepalived: a conversion that does not validate exits 1 and says why") {
  TempDir dir;
  // keepalived itself would refuse the same virtual server twice; so does the descriptor.
  write_file(dir.file("dup.conf"),
             "virtual_server 192.0.2.10 25 {\n  real_server 203.0.113.11 25\n}\n"
             "virtual_server 192.0.2.10 25 {\n  real_server 203.0.113.12 25\n}\n");
  lvsctl::ImportArgs args;
  args.file = dir.file("dup.conf");
  lvsctl::CommandOutput r = lvsctl::import_keepalived_command(args);
  CHECK(r.exit_code == lvsctl::kExitDiffers);
  CHECK(!r.out.empty());
  CHECK(r.err.find("is already defined") != std::string::npos);
  CHECK(r.err.find("does NOT validate") != std::string::npos);
}

TEST_CASE("import-keepalived: a string that is not UTF-8 is printed with U+FFFD, not an exception") {
  TempDir dir;
  write_file(dir.file("latin1.conf"),
             "virtual_server 192.0.2.10 25 {\n"
             "  real_server 203.0.113.11 25 {\n    SMTP_CHECK {\n      helo_name caf\xe9\n    }\n  }\n"
             "  real_server 203.0.113.12 25 {\n    SMTP_CHECK {\n      helo_name \xff\n    }\n  }\n"
             "}\n");
  lvsctl::ImportArgs args;
  args.file = dir.file("latin1.conf");
  lvsctl::CommandOutput r;
  REQUIRE_NOTHROW(r = lvsctl::import_keepalived_command(args));
  CHECK(r.out.find("caf\xef\xbf\xbd") != std::string::npos);
  CHECK(r.err.find("differs from the first real's (ehlo_name") != std::string::npos);
}
