// The conformance suite against FakeIpvs: each test case gets a fresh in-memory table.
#include "conformance.h"
#include "ipvs/fake_ipvs.h"

namespace lvs::conformance {

std::unique_ptr<ipvs::IpvsBackend> open_backend() { return std::make_unique<ipvs::FakeIpvs>(); }

std::string sync_interface() { return "lo"; }

}  // namespace lvs::conformance
