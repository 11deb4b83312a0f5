#pragma once
// What each subcommand's exit status means, in one place: shown as the footer of
// `lvsctl SUBCOMMAND --help` and of `lvsctl --help`, and mirrored in packaging/man/lvsctl.8.
#include <string>

#include <CLI/CLI.hpp>

namespace lvsctl {

// The footer text for a subcommand (by name); empty when it has no table entry.
std::string exit_code_help(const std::string& subcommand);

// Sets that footer on every subcommand registered on `app` (call after adding them).
void add_exit_code_help(CLI::App& app);

}  // namespace lvsctl
