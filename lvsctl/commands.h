#pragma once
// Each subcommand registers itself on the app; its callback sets the process exit code.
#include <CLI/CLI.hpp>

namespace lvsctl {

// Exit codes shared by every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitDiffers = 1;  // validate: invalid; diff: something differs
inline constexpr int kExitError = 2;    // cannot read, usage, or an operation failed

void add_validate_command(CLI::App& app, int& exit_code);
void add_list_command(CLI::App& app, int& exit_code);
void add_diff_command(CLI::App& app, int& exit_code);
void add_apply_command(CLI::App& app, int& exit_code);

}  // namespace lvsctl
