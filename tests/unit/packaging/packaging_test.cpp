// The man pages cannot drift from what they document: lvs-cluster(5) names exactly the
// schema's fields, object by object; lvsctl(8) and lvsd(8) name every subcommand and
// option the programs' --help lists. Also --version and the exit statuses in --help.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

// CHECK with a message shown only when it fails.
#define CHECK_SAYING(cond, message) \
  do {                              \
    INFO(message);                  \
    CHECK(cond);                    \
  } while (0)

namespace {

std::string source_tree() {
  const char* env = std::getenv("LVS_SOURCE_DIR");
  return env && *env ? env : LVS_SOURCE_TREE;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Run {
  int status = -1;
  std::string out;
};

// Runs a shell command, capturing stdout (stderr too when `with_stderr`).
Run run(const std::string& cmd, bool with_stderr = false) {
  Run r;
  FILE* p = ::popen((cmd + (with_stderr ? " 2>&1" : " 2>/dev/null")).c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// roff escapes back to text: "\-" is '-', "\e" a backslash, "\&" nothing.
std::string unroff(std::string s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      char c = s[++i];
      if (c == '-') out += '-';
      else if (c == 'e') out += '\\';
      else if (c == '&') continue;
      else out += std::string("\\") + c;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The text of each ".SS" section of a man page, by its title.
std::vector<std::pair<std::string, std::string>> subsections(const std::string& page) {
  std::vector<std::pair<std::string, std::string>> out;
  bool in = false;
  for (const auto& raw : lines_of(page)) {
    std::string line = unroff(raw);
    if (line.rfind(".SS ", 0) == 0) {
      out.emplace_back(line.substr(4), "");
      in = true;
    } else if (line.rfind(".SH ", 0) == 0) {
      in = false;
    } else if (in) {
      out.back().second += line + "\n";
    }
  }
  return out;
}

// The subcommands listed under "Subcommands:" in a CLI11 --help.
std::vector<std::string> subcommands_in_help(const std::string& help) {
  std::vector<std::string> out;
  bool on = false;
  for (const auto& line : lines_of(help)) {
    if (line == "Subcommands:") on = true;
    else if (on && line.rfind("  ", 0) == 0 && line.size() > 2 && line[2] != ' ')
      out.push_back(line.substr(2, line.find(' ', 2) - 2));
    else if (on && line.empty()) on = false;
  }
  return out;
}

std::set<std::string> long_options_in(const std::string& text) {
  std::set<std::string> out;
  std::regex option("--[a-z][a-z0-9-]*");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), option); it != std::sregex_iterator(); ++it)
    out.insert(it->str());
  out.erase("--help");
  return out;
}

// Every object of the schema that has "properties", as its set of field names.
void schema_objects(const nlohmann::json& node, std::vector<std::set<std::string>>& out) {
  if (node.is_object()) {
    auto props = node.find("properties");
    if (props != node.end() && props->is_object()) {
      std::set<std::string> names;
      for (const auto& [name, _] : props->items()) names.insert(name);
      out.push_back(names);
    }
    for (const auto& [_, child] : node.items()) schema_objects(child, out);
  } else if (node.is_array()) {
    for (const auto& child : node) schema_objects(child, out);
  }
}

std::string show(const std::set<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : " ") + n;
  return "{" + s + "}";
}

}  // namespace

TEST_CASE("man: lvs-cluster(5) documents each object of the schema with exactly its fields") {
  auto schema = nlohmann::json::parse(read_file(source_tree() + "/schemas/cluster.schema.json"));
  std::vector<std::set<std::string>> in_schema;
  schema_objects(schema, in_schema);
  REQUIRE(in_schema.size() > 5);

  // A field is a ".TP" followed by ".B NAME" (value types and files use .I).
  std::vector<std::set<std::string>> in_page;
  auto page = lines_of(read_file(source_tree() + "/packaging/man/lvs-cluster.5"));
  for (std::size_t i = 0; i < page.size(); ++i) {
    if (page[i].rfind(".SS ", 0) == 0) in_page.emplace_back();
    else if (page[i] == ".TP" && i + 1 < page.size() && page[i + 1].rfind(".B ", 0) == 0 && !in_page.empty())
      in_page.back().insert(unroff(page[i + 1].substr(3)));
  }
  std::sort(in_schema.begin(), in_schema.end());
  std::sort(in_page.begin(), in_page.end());
  for (const auto& o : in_schema)
    CHECK_SAYING(std::count(in_page.begin(), in_page.end(), o) == std::count(in_schema.begin(), in_schema.end(), o),
                  "schema object " + show(o) + " has no section with exactly these fields in lvs-cluster.5 "
                  "(run packaging/man/lvs-cluster.py > packaging/man/lvs-cluster.5)");
  for (const auto& o : in_page)
    CHECK_SAYING(std::find(in_schema.begin(), in_schema.end(), o) != in_schema.end(),
                  "lvs-cluster.5 documents " + show(o) + ", which is no object of the schema");
}

TEST_CASE("man: lvsctl(8) has a section for each subcommand of lvsctl --help, naming each of its options") {
  auto sections = subsections(read_file(source_tree() + "/packaging/man/lvsctl.8"));
  Run help = run(std::string("'") + LVSCTL_BINARY + "' --help");
  REQUIRE(help.status == 0);
  auto subs = subcommands_in_help(help.out);
  REQUIRE(subs.size() >= 10);
  for (const auto& sub : subs) {
    auto it = std::find_if(sections.begin(), sections.end(),
                           [&](const auto& s) { return s.first.rfind("lvsctl " + sub, 0) == 0; });
    CHECK_SAYING(it != sections.end(), "lvsctl.8 has no section \".SS lvsctl " + sub + "\"");
    if (it == sections.end()) continue;
    Run sub_help = run(std::string("'") + LVSCTL_BINARY + "' " + sub + " --help");
    std::set<std::string> options = long_options_in(sub_help.out);
    for (const auto& subsub : subcommands_in_help(sub_help.out)) {
      CHECK_SAYING(it->first.find(subsub) != std::string::npos, "lvsctl.8 does not name 'lvsctl " + sub + " " + subsub + "'");
      auto more = long_options_in(run(std::string("'") + LVSCTL_BINARY + "' " + sub + " " + subsub + " --help").out);
      options.insert(more.begin(), more.end());
    }
    for (const auto& option : options)
      CHECK_SAYING(it->second.find(option) != std::string::npos,
                    "lvsctl.8's section on '" + sub + "' does not document " + option);
  }
}

TEST_CASE("man: lvsd(8) documents each option of lvsd --help") {
  std::string page = unroff(read_file(source_tree() + "/packaging/man/lvsd.8"));
  Run help = run(std::string("'") + LVSD_BINARY + "' --help");
  REQUIRE(help.status == 0);
  auto options = long_options_in(help.out);
  REQUIRE(options.count("--config"));
  for (const auto& option : options)
    CHECK_SAYING(page.find(option) != std::string::npos, "lvsd.8 does not document " + option);
}

TEST_CASE("man: the pages render without a warning") {
  for (const char* page : {"lvsd.8", "lvsctl.8", "lvs-cluster.5"}) {
    Run r = run("groff -man -Tutf8 -ww -z '" + source_tree() + "/packaging/man/" + page + "'", true);
    INFO(page << ": " << r.out);
    CHECK(r.status == 0);
    CHECK(r.out.empty());
  }
}

TEST_CASE("help: each lvsctl subcommand's --help and lvsd --help say what the exit statuses mean") {
  Run help = run(std::string("'") + LVSCTL_BINARY + "' --help");
  CHECK(help.out.find("Exit status:") != std::string::npos);
  for (const auto& sub : subcommands_in_help(help.out)) {
    Run r = run(std::string("'") + LVSCTL_BINARY + "' " + sub + " --help");
    CHECK(r.status == 0);
    CHECK_SAYING(r.out.find("Exit status: 0 ") != std::string::npos, "lvsctl " + sub + " --help has no exit statuses");
  }
  Run lvsd = run(std::string("'") + LVSD_BINARY + "' --help");
  CHECK(lvsd.out.find("Exit status: 0 ") != std::string::npos);
  CHECK(lvsd.out.find(", 1 the descriptor is invalid") != std::string::npos);
}

TEST_CASE("version: lvsctl --version and lvsd --version print the project version and a git revision") {
  std::regex line(std::string("(lvsd|lvsctl) ") + LVS_PROJECT_VERSION + R"( \(git ([0-9a-f]{12}(-dirty)?|unknown)\)\n)");
  for (const char* binary : {LVSCTL_BINARY, LVSD_BINARY}) {
    Run r = run(std::string("'") + binary + "' --version");
    INFO(binary << ": " << r.out);
    CHECK(r.status == 0);
    CHECK(std::regex_match(r.out, line));
  }
}
