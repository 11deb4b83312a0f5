#pragma once
// Shared by the parts of the converter (convert.cpp, convert_lvs.cpp, convert_vrrp.cpp):
// the accounting of statements (carried or warned), value parsers, and the parts' entry
// points. Not a public header.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "keepalived/convert.h"
#include "net/ip_address.h"

namespace lvs::keepalived::detail {

using Json = nlohmann::ordered_json;

// Thrown for input that cannot be converted at all (a malformed number, a bad address);
// convert() turns it into ImportResult::error.
struct ConvertError {
  Note note;
};

class Context {
 public:
  explicit Context(ImportResult& out) : out_(out) {}

  // The statement went into the descriptor (or decided something there).
  void carried(const Statement& s) { carried_.insert(&s); }
  // The statement (and its whole block) is not carried: say so on its line.
  void not_carried(const Statement& s, const std::string& why);
  // The statement is covered by a warning said on an enclosing line.
  void covered(const Statement& s) { warned_.insert(&s); }
  // A warning about a value the importer had to choose.
  void note(const Location& at, const std::string& message) { out_.warnings.push_back(Note{at, message}); }
  [[noreturn]] void fail(const Statement& s, const std::string& message) const { throw ConvertError{Note{s.where, message}}; }

  // Statements of `tree` neither carried nor warned about (blocks of warned ones count):
  // each goes to ImportResult::unaccounted and gets a warning, so none is dropped unsaid.
  void report_unaccounted(const std::vector<Statement>& tree);

  // Value parsers; each fails with the statement's line on a bad value.
  void need_args(const Statement& s, std::size_t n) const;
  std::uint64_t integer(const Statement& s, const std::string& text, std::uint64_t max) const;
  double seconds(const Statement& s, const std::string& text) const;  // <TIMER>: may be fractional
  bool boolean(const Statement& s) const;  // "flag" alone or flag on|off|true|false|yes|no
  net::IpAddress address(const Statement& s, const std::string& text) const;

 private:
  ImportResult& out_;
  std::set<const Statement*> carried_;
  std::set<const Statement*> warned_;
};

// "192.0.2.10" -> a name the schema accepts (letters, digits, . _ -), at most 63 chars.
std::string sanitize_name(const std::string& text, const std::string& fallback);

// What convert_global / convert_vrrp found that the other parts need.
struct GlobalDefs {
  std::string router_id;
  const Statement* sync_daemon = nullptr;  // global_defs lvs_sync_daemon
  bool vrrp_version3 = false;
};

void convert_global(const Statement& s, Context& cx, GlobalDefs& g, Json& descriptor);

// Every virtual_server (with the virtual_server_groups they use) -> services and pools.
void convert_lvs(const std::vector<Statement>& top, Context& cx, Json& descriptor);

// vrrp_instances -> ha and nodes; without any, one node and no ha.
void convert_vrrp(const std::vector<Statement>& top, const GlobalDefs& g, const ImportOptions& o, Context& cx,
                  Json& descriptor);

}  // namespace lvs::keepalived::detail
