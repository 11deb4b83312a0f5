#include <catch2/catch.hpp>

#include "health/line_buffer.h"
#include "health/probe_config.h"

using namespace lvs::health;

TEST_CASE("lines: CRLF and bare LF both end a line; a partial line waits for more") {
  LineBuffer b(100);
  b.append("220 a\r\n250 b\n25");
  CHECK(b.next_line() == "220 a");
  CHECK(b.next_line() == "250 b");
  CHECK_FALSE(b.next_line());
  CHECK_FALSE(b.empty());
  b.append("0 c\r\n");
  CHECK(b.next_line() == "250 c");
  CHECK(b.empty());
}

TEST_CASE("lines: an unterminated line past the limit is an overflow, one at the limit is not") {
  LineBuffer b(10);
  b.append(std::string(10, 'x'));
  CHECK_FALSE(b.overflowed());
  b.append("\r");
  CHECK_FALSE(b.overflowed());
  b.append("yy");
  CHECK(b.overflowed());
}

TEST_CASE("lines: a long run of short lines stays readable after the buffer compacts") {
  LineBuffer b(100);
  std::string many;
  for (int i = 0; i < 2000; ++i) many += "250-line " + std::to_string(i) + "\r\n";
  b.append(many);
  int n = 0;
  std::string last;
  while (auto l = b.next_line()) {
    ++n;
    last = *l;
  }
  CHECK(n == 2000);
  CHECK(last == "250-line 1999");
  CHECK(b.empty());
}

TEST_CASE("lines: server text is shown with control and 8-bit bytes escaped and cut") {
  CHECK(printable(std::string("a\tb\x00\xff", 5)) == "a\\x09b\\x00\\xff");
  CHECK(printable(std::string(300, 'z'), 10) == std::string(10, 'z') + "...");
}

TEST_CASE("config: durations, endpoints and descriptions read as operators write them") {
  CHECK(format_duration(std::chrono::milliseconds(5000)) == "5 s");
  CHECK(format_duration(std::chrono::milliseconds(300)) == "300 ms");
  CHECK(format_duration(std::chrono::milliseconds(1500)) == "1.5 s");
  ProbeConfig c;
  c.type = ProbeType::imap;
  c.tls = TlsMode::starttls;
  c.address = *lvs::net::IpAddress::parse("2001:db8::10");
  c.port = 143;
  c.source = lvs::net::IpAddress::parse("2001:db8::1");
  CHECK(describe(c) == "imap+starttls [2001:db8::10]:143 from 2001:db8::1");
}

TEST_CASE("config: equal configs hash equal; a changed field changes equality") {
  ProbeConfig a;
  a.type = ProbeType::smtp;
  a.address = *lvs::net::IpAddress::parse("192.0.2.11");
  a.port = 25;
  ProbeConfig b = a;
  CHECK(a == b);
  CHECK(hash_value(a) == hash_value(b));
  b.credentials = Credentials{"u", "p"};
  CHECK_FALSE(a == b);
  CHECK(hash_value(a) != hash_value(b));
}

TEST_CASE("lines: fed in pieces, a long dialogue keeps lines whole across compaction") {
  LineBuffer b(100);
  int n = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string line = "250-line " + std::to_string(i) + "\r\n";
    // Each line arrives split in two, so a partial tail is always kept over an append.
    b.append(line.substr(0, 5));
    CHECK_FALSE(b.next_line());
    b.append(line.substr(5));
    auto l = b.next_line();
    REQUIRE(l);
    CHECK(*l == "250-line " + std::to_string(i));
    ++n;
  }
  CHECK(n == 3000);
  CHECK(b.empty());
}
