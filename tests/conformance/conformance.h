#pragma once
// The IPVS backend conformance suite: test cases written once against IpvsBackend&,
// linked into two executables. tests/unit/ipvs_fake links a factory returning FakeIpvs
// (label unit); tests/kernel/conformance links one returning NetlinkIpvs and runs it in
// the VM (label kernel). Both must pass: where they differ, the kernel is right.
//
// The interface guarantees no listing order (the kernel lists in hash order), so the
// helpers below sort before comparing.
#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ipvs/backend.h"

namespace lvs::conformance {

// --- provided by each executable ------------------------------------------------

// A newly opened backend; fails the test (REQUIRE) when it cannot be opened.
std::unique_ptr<ipvs::IpvsBackend> open_backend();
// The loopback interface (up, MTU 65536), which sync daemons bind to in these tests.
std::string sync_interface();

// --- shared helpers -------------------------------------------------------------

// Every test case starts here: an open backend, its table flushed, no sync daemon.
std::unique_ptr<ipvs::IpvsBackend> fresh_backend();

ipvs::IpAddress ip(std::string_view text);  // REQUIREs a valid address

ipvs::Service service(ipvs::Protocol proto, std::string_view addr, std::uint16_t port,
                      std::string scheduler = "wlc");
ipvs::Service fwmark_service(ipvs::Family family, std::uint32_t mark, std::string scheduler = "wlc");
ipvs::Destination real(std::string_view addr, std::uint16_t port, std::uint32_t weight = 1,
                       ipvs::Forward forward = ipvs::Forward::masq);

// Listings, sorted by key.
std::vector<ipvs::Service> services_of(ipvs::IpvsBackend& be);
std::vector<ipvs::Destination> dests_of(ipvs::IpvsBackend& be, const ipvs::ServiceKey& key);
// A whole table, services and their reals sorted by key.
ipvs::Table sorted_table(ipvs::IpvsBackend& be);

std::vector<ipvs::Service> sorted(std::vector<ipvs::Service> v);
std::vector<ipvs::Destination> sorted(std::vector<ipvs::Destination> v);

// "EEXIST" rather than 17, so a failed comparison reads well.
std::string errno_name(int code);

}  // namespace lvs::conformance

// A status that must be ok; on failure the backend's own words are shown.
#define REQUIRE_OK(expr)                                                    \
  do {                                                                      \
    auto&& lvs_status_ = (expr);                                            \
    INFO(#expr << " failed: " << (lvs_status_.ok() ? std::string("")        \
                                                   : lvs_status_.error().describe())); \
    REQUIRE(lvs_status_.ok());                                              \
  } while (0)

// A status that must fail with errno `want`.
#define REQUIRE_ERRNO(expr, want)                                                  \
  do {                                                                             \
    auto&& lvs_status_ = (expr);                                                   \
    REQUIRE_FALSE(lvs_status_.ok());                                               \
    INFO(lvs_status_.error().describe());                                          \
    CHECK(::lvs::conformance::errno_name(lvs_status_.error().code) ==              \
          ::lvs::conformance::errno_name(want));                                   \
  } while (0)

namespace Catch {
template <>
struct StringMaker<lvs::ipvs::Service> {
  static std::string convert(const lvs::ipvs::Service& s);
};
template <>
struct StringMaker<lvs::ipvs::Destination> {
  static std::string convert(const lvs::ipvs::Destination& d);
};
template <>
struct StringMaker<lvs::ipvs::SyncDaemon> {
  static std::string convert(const lvs::ipvs::SyncDaemon& d);
};
template <>
struct StringMaker<lvs::ipvs::Timeouts> {
  static std::string convert(const lvs::ipvs::Timeouts& t);
};
template <>
struct StringMaker<lvs::ipvs::Stats> {
  static std::string convert(const lvs::ipvs::Stats& s);
};
}  // namespace Catch
