#include "model/loader.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <set>

#include "common/file_io.h"
#include "model/json_positions.h"
#include "model/model_from_json.h"
#include "model/schema_check.h"
#include "model/semantic_check.h"

namespace lvs::model {
namespace {

// True when one pointer is the other or lies inside it ("/a" and "/a/b", not "/a" and "/ab").
bool related(const std::string& a, const std::string& b) {
  const std::string& shorter = a.size() <= b.size() ? a : b;
  const std::string& longer = a.size() <= b.size() ? b : a;
  if (longer.compare(0, shorter.size(), shorter) != 0) return false;
  return longer.size() == shorter.size() || longer[shorter.size()] == '/';
}

Diagnostic locate(const Finding& f, const PositionedJson& json, const std::string& file) {
  TextPosition pos = f.at_key ? json.key_position_of(f.pointer) : json.position_of(f.pointer);
  return Diagnostic{f.severity, file, pos.line, pos.column, f.pointer, f.message};
}

}  // namespace

std::string find_schema_path(const LoadOptions& options) { return options.schema_path; }

LoadResult load_cluster_text(std::string_view text, const std::string& filename, const LoadOptions& options) {
  LoadResult result;
  auto& diags = result.diagnostics;
  if (text.size() > kMaxDescriptorBytes) {
    diags.push_back(Diagnostic{Severity::error, filename, 0, 0, "",
                               "the file is " + std::to_string(text.size()) + " bytes, more than the limit of " +
                                   std::to_string(kMaxDescriptorBytes / (1024 * 1024)) + " MiB"});
    return result;
  }

  JsonLimits limits;
  limits.max_depth = kMaxNestingDepth;
  JsonReadResult read = read_json_with_positions(text, limits);
  for (const auto& p : read.problems)
    diags.push_back(Diagnostic{Severity::error, filename, p.position.line, p.position.column, p.pointer, p.message});
  if (!read.json) return result;
  const PositionedJson& json = *read.json;

  std::string schema_path = find_schema_path(options);
  auto schema = check_against_schema(json.value, schema_path);
  if (!schema) {
    diags.push_back(Diagnostic{Severity::error, filename, 0, 0, "",
                               schema.error().describe()});
    result.read_failed = true;
    return result;
  }
  std::vector<std::string> shadows;  // places already rejected
  bool model_incomplete = false;     // a whole section is missing or of the wrong type
  std::optional<Diagnostic> unspecific;
  for (const auto& p : *schema) {
    Diagnostic d = locate(Finding{Severity::error, p.pointer, p.message, p.at_key}, json, filename);
    if (p.unspecific) {
      unspecific = d;
      continue;
    }
    diags.push_back(d);
    shadows.push_back(p.pointer);
    if (std::count(p.pointer.begin(), p.pointer.end(), '/') <= 1) model_incomplete = true;
  }
  if (!json.value.is_object()) {
    if (unspecific) diags.push_back(*unspecific);
    return result;
  }

  std::vector<Finding> conversion;
  Cluster cluster = model_from_json(json.value, conversion);
  std::vector<Finding> meaning;
  SemanticOptions semantic;
  semantic.key_file_problems_are_errors = options.mode == LoadMode::daemon;
  if (!model_incomplete) check_semantics(cluster, semantic, meaning);

  // A place already rejected would only produce follow-on noise in later checks.
  std::set<std::tuple<int, std::string, std::string>> seen;
  auto add = [&](const Finding& f) {
    bool shadowed = std::any_of(shadows.begin(), shadows.end(),
                                [&](const std::string& p) { return related(p, f.pointer); });
    if (shadowed || !seen.insert({static_cast<int>(f.severity), f.pointer, f.message}).second) return;
    diags.push_back(locate(f, json, filename));
  };
  for (const auto& f : conversion) add(f);
  for (const auto& f : conversion) shadows.push_back(f.pointer);
  for (const auto& f : meaning) add(f);
  if (unspecific && !has_errors(diags)) diags.push_back(*unspecific);
  std::stable_sort(diags.begin(), diags.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  if (!has_errors(diags)) result.cluster = std::move(cluster);
  return result;
}

LoadResult load_cluster_file(const std::string& path, const LoadOptions& options) {
  // The file layer opens with O_NONBLOCK and checks the type before reading: a FIFO
  // named as descriptor fails at once instead of blocking lvsd's event loop.
  auto text = read_file_capped(path, kMaxDescriptorBytes, "the file");
  if (text) return load_cluster_text(*text, path, options);
  LoadResult result;
  const Error& e = text.error();
  std::string message = e.message;
  if (e.code != EFBIG && e.code != EINVAL) message += std::string(": ") + std::strerror(e.code);
  result.diagnostics.push_back(Diagnostic{Severity::error, path, 0, 0, "", message});
  // Too large is a finding about the descriptor (exit 1); the rest mean it was not read.
  result.read_failed = e.code != EFBIG;
  return result;
}

Result<Node> find_local_node(const Cluster& cluster, const std::string& name,
                             const std::vector<IpAddress>& local_addresses) {
  if (!name.empty()) {
    for (const Node& n : cluster.nodes)
      if (n.name == name) return n;
    std::string known;
    for (const Node& n : cluster.nodes) known += (known.empty() ? "" : ", ") + n.name;
    return Error{ENOENT, "no node named \"" + name + "\" in cluster " + cluster.name + " (nodes: " + known + ")"};
  }
  const Node* found = nullptr;
  for (const Node& n : cluster.nodes)
    if (std::find(local_addresses.begin(), local_addresses.end(), n.address) != local_addresses.end()) {
      if (found)
        return Error{EEXIST, "nodes \"" + found->name + "\" and \"" + n.name +
                                 "\" both have local addresses; choose one with --node"};
      found = &n;
    }
  if (found) return *found;
  std::string known;
  for (const Node& n : cluster.nodes) known += (known.empty() ? "" : ", ") + n.name + " " + n.address.to_string();
  return Error{ENOENT, "none of the nodes' addresses is local (" + known + "); choose one with --node"};
}

}  // namespace lvs::model
