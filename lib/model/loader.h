#pragma once
// Loading a descriptor: syntax (with positions) -> JSON Schema -> model -> semantic checks.
// Every problem found is reported, not just the first.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "model/cluster.h"
#include "model/diagnostics.h"

namespace lvs::model {

enum class LoadMode {
  validate,  // lvsctl validate: may run on another machine, local files are only warned about
  daemon,    // lvsd: files the daemon needs (HMAC key) must exist and be private
};

inline constexpr std::size_t kMaxDescriptorBytes = 16u * 1024 * 1024;
inline constexpr int kMaxNestingDepth = 64;

struct LoadOptions {
  LoadMode mode = LoadMode::validate;
  // Schema file; empty: the schema compiled into the program (schema_check.h).
  std::string schema_path;
};

struct LoadResult {
  std::optional<Cluster> cluster;  // set when no error was found
  std::vector<Diagnostic> diagnostics;
  bool read_failed = false;  // the file could not be read at all (lvsctl exits 2)

  bool ok() const { return cluster.has_value() && !has_errors(diagnostics); }
};

LoadResult load_cluster_file(const std::string& path, const LoadOptions& options = {});
// `filename` is only used in messages.
LoadResult load_cluster_text(std::string_view text, const std::string& filename,
                             const LoadOptions& options = {});

// The schema file the loader would read; empty: the compiled-in schema.
std::string find_schema_path(const LoadOptions& options);

// The node this balancer is: by name when `name` is non-empty, else the node whose
// address is one of `local_addresses`. Errors say which names/addresses were tried.
Result<Node> find_local_node(const Cluster& cluster, const std::string& name,
                             const std::vector<IpAddress>& local_addresses);

}  // namespace lvs::model
