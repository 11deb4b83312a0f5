// keepalived's own sample configurations (Debian package keepalived, which
// scripts/setup-deps.sh installs): each converts to a descriptor that validates, or the
// importer names what it could not convert. Nothing is dropped without a warning. Prints
// a table: sample, result, warnings, the keywords not carried.
#include <dirent.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>

#include <catch2/catch.hpp>

#include "keepalived/convert.h"
#include "model/loader.h"

using namespace lvs::keepalived;

namespace {

const char* kSamples = "/usr/share/doc/keepalived/samples";

std::vector<std::string> sample_files() {
  std::vector<std::string> out;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(kSamples), ::closedir);
  if (!dir) return out;
  while (dirent* e = ::readdir(dir.get())) {
    std::string name = e->d_name;
    if (name.rfind("keepalived.conf", 0) == 0) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The text of a sample; a .gz one through gzip.
std::string read_sample(const std::string& name) {
  std::string path = std::string(kSamples) + "/" + name;
  std::string text;
  if (name.size() > 3 && name.substr(name.size() - 3) == ".gz") {
    std::unique_ptr<FILE, int (*)(FILE*)> p(::popen(("gzip -dc '" + path + "'").c_str(), "r"), ::pclose);
    REQUIRE(p);
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p.get())) > 0;) text.append(buf, n);
    return text;
  }
  lvs::Result<SourceFile> f = RealFileSource::open(path);
  REQUIRE(f.ok());
  return f->text;
}

// "'MISC_CHECK' is not carried: ..." -> MISC_CHECK
std::string not_carried_keyword(const std::string& message) {
  if (message.empty() || message[0] != '\'') return "";
  std::size_t end = message.find("' is not carried");
  return end == std::string::npos ? "" : message.substr(1, end - 1);
}

}  // namespace

TEST_CASE("samples: every keepalived sample converts to a valid descriptor or names what it could not convert") {
  std::vector<std::string> samples = sample_files();
  if (samples.size() < 10)
    FAIL("keepalived's samples are missing from " << kSamples << ": install the keepalived package "
                                                   "(scripts/setup-deps.sh does)");

  std::map<std::string, int> keywords_not_carried;  // over all samples
  int converted = 0, with_warnings = 0, failed = 0;
  std::printf("%-40s %-9s %8s  %s\n", "sample", "result", "warnings", "not carried");
  for (const std::string& name : samples) {
    INFO(name);
    RealFileSource files;
    ImportResult r = import_keepalived(SourceFile{name, std::string(kSamples) + "/" + name, read_sample(name)}, files);
    std::map<std::string, int> here;
    for (const Note& w : r.warnings)
      if (std::string k = not_carried_keyword(w.message); !k.empty()) ++here[k];
    std::string list;
    for (const auto& [k, n] : here) {
      list += (list.empty() ? "" : ", ") + k + (n > 1 ? " x" + std::to_string(n) : "");
      keywords_not_carried[k] += n;
    }
    std::string result;
    if (!r.ok()) {
      // Not converted: the error names a line and what is wrong there.
      CHECK(r.error->where.line > 0);
      CHECK(!r.error->message.empty());
      result = "error";
      ++failed;
      list = r.error->to_string("error");
    } else {
      std::string where;
      for (const Location& l : r.unaccounted) where += l.file + ":" + std::to_string(l.line) + " ";
      INFO("lines neither carried nor warned about: " << where);
      CHECK(r.unaccounted.empty());
      lvs::model::LoadResult load = lvs::model::load_cluster_text(r.descriptor.dump(), name);
      std::string diags;
      for (const auto& d : load.diagnostics) diags += d.to_string() + "\n";
      INFO(diags);
      CHECK(load.ok());
      result = load.ok() ? "valid" : "INVALID";
      ++converted;
      if (!r.warnings.empty()) ++with_warnings;
    }
    std::printf("%-40s %-9s %8zu  %s\n", name.c_str(), result.c_str(), r.warnings.size(), list.c_str());
  }
  std::printf("%zu samples: %d converted and valid (%d with warnings), %d not converted\n", samples.size(),
              converted, with_warnings, failed);
  std::string all;
  for (const auto& [k, n] : keywords_not_carried) all += (all.empty() ? "" : ", ") + k + " (" + std::to_string(n) + ")";
  std::printf("keywords not carried over all samples: %s\n", all.c_str());
  std::fflush(stdout);
}

TEST_CASE("samples: with any one line cut short or left out, every sample still converts or fails with a line") {
  // Each variant drops the last word of one line, or the whole line (unbalancing braces,
  // leaving keywords without values): the importer must answer, never crash or throw.
  std::size_t variants = 0, errors = 0;
  for (const std::string& name : sample_files()) {
    std::string text = read_sample(name);
    std::vector<std::string> lines;
    for (std::size_t b = 0, e; b < text.size(); b = e + 1) {
      e = text.find('\n', b);
      if (e == std::string::npos) e = text.size();
      lines.push_back(text.substr(b, e - b));
    }
    for (std::size_t i = 0; i < lines.size(); ++i) {
      std::string line = lines[i];
      while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
      std::size_t cut = line.find_last_of(" \t");
      for (const std::string& replacement : {cut == std::string::npos ? std::string() : line.substr(0, cut), std::string()}) {
        std::string variant;
        for (std::size_t j = 0; j < lines.size(); ++j) variant += (j == i ? replacement : lines[j]) + "\n";
        INFO(name << " line " << i + 1 << " as '" << replacement << "'");
        RealFileSource files;
        ImportResult r;
        REQUIRE_NOTHROW(r = import_keepalived(SourceFile{name, name, variant}, files));
        if (!r.ok()) {
          CHECK(r.error->where.line > 0);
          ++errors;
        } else {
          CHECK(r.unaccounted.empty());
        }
        ++variants;
      }
    }
  }
  std::printf("%zu damaged variants of the samples: %zu refused with a line, the rest converted\n", variants, errors);
  CHECK(variants > 1000);
}
