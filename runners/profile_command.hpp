#pragma once
// `tunebench profile`: llama-bench for these models (runners/profile_tests.hpp), printed as a
// table or data and stored in the profiles table.
#include <CLI/CLI.hpp>

namespace tb {

void add_profile_command(CLI::App& app);

}  // namespace tb
