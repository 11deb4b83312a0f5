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
// lvsd's control socket (lvsctl/control_client.h).
void add_status_command(CLI::App& app, int& exit_code);
void add_drain_command(CLI::App& app, int& exit_code);
void add_enable_command(CLI::App& app, int& exit_code);
void add_check_command(CLI::App& app, int& exit_code);
void add_reload_command(CLI::App& app, int& exit_code);
void add_ha_command(CLI::App& app, int& exit_code);
void add_timeouts_command(CLI::App& app, int& exit_code);
void add_zero_command(CLI::App& app, int& exit_code);
void add_import_keepalived_command(CLI::App& app, int& exit_code);

}  // namespace lvsctl
