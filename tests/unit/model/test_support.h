#pragma once
// Paths and small helpers shared by the model tests.
#include <string>
#include <vector>

#include "model/loader.h"
#include "support/temp_dir.h"

namespace lvs::model::test {

std::string source_tree();   // $LVS_SOURCE_DIR or the compiled-in source path
std::string examples_dir();  // schemas/examples
std::string invalid_dir();   // tests/unit/model/invalid
std::string read_file(const std::string& path);
std::vector<std::string> json_files_in(const std::string& dir);  // sorted full paths

// "mail.json:3:5: ..." lines, for failure messages.
std::string dump(const std::vector<Diagnostic>& diagnostics);

// A temporary directory removed by the destructor (tests/support).
using TempDir = lvs::testing::TempDir;

}  // namespace lvs::model::test
