// The shipped example descriptors, loaded and turned into desired state, then applied to
// the in-memory backend: the second diff is empty.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "desired/desired_state.h"
#include "ipvs/fake_ipvs.h"
#include "ipvs/reconcile_run.h"
#include "model/loader.h"

using namespace lvs;

namespace {

std::string example(const std::string& name) {
  const char* src = std::getenv("LVS_SOURCE_DIR");
  REQUIRE(src != nullptr);  // set by lvs_add_unit_test
  return std::string(src) + "/schemas/examples/" + name;
}

model::Cluster load(const std::string& name) {
  auto loaded = model::load_cluster_file(example(name));
  for (const auto& d : loaded.diagnostics) UNSCOPED_INFO(d.to_string());
  REQUIRE(loaded.ok());
  return *loaded.cluster;
}

}  // namespace

TEST_CASE("desired: the reference mail cluster is 10 NAT services with 2 reals each") {
  auto state = desired::desired_from_model(load("mail-cluster.json"));
  REQUIRE(state.services.size() == 10);
  std::size_t fo = 0;
  for (const auto& s : state.services) {
    CHECK(s.service.key.protocol == ipvs::Protocol::tcp);
    CHECK(s.destinations.size() == 2);
    for (const auto& d : s.destinations) {
      CHECK(d.forward == ipvs::Forward::masq);
      CHECK(d.port == s.service.key.port);
    }
    if (s.service.scheduler == "fo") {
      ++fo;
      CHECK((s.service.key.port == 143 || s.service.key.port == 993));
      CHECK(s.destinations[0].weight != s.destinations[1].weight);
    } else {
      CHECK(s.service.scheduler == "rr");
    }
  }
  CHECK(fo == 4);
}

TEST_CASE("desired: every example applied to FakeIpvs diffs empty the second time") {
  std::size_t examples = 0;
  for (const auto& entry : std::filesystem::directory_iterator(example(""))) {
    if (entry.path().extension() != ".json") continue;
    ++examples;
    const std::string name = entry.path().filename().string();
    INFO(name);
    auto loaded = model::load_cluster_file(entry.path().string());
    REQUIRE(loaded.ok());
    auto state = desired::desired_from_model(*loaded.cluster);
    ipvs::FakeIpvs fake;
    ipvs::Ownership owned;
    auto first = ipvs::reconcile(fake, state, owned);
    REQUIRE(first.ok());
    CHECK(first->ok());
    CHECK(owned.services.size() == state.services.size());
    fake.reset_writes();
    auto second = ipvs::reconcile(fake, state, owned);
    REQUIRE(second.ok());
    CHECK(second->plan.empty());
    CHECK(fake.writes() == 0);
  }
  CHECK(examples >= 4);
}
