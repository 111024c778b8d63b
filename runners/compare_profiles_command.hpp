#pragma once
// `tunebench compare-profiles A B`: the speedup of run B over run A for every test both
// profiled (rows matched by test and batch).
#include <CLI/CLI.hpp>

namespace tb {

void add_compare_profiles_command(CLI::App& app);

}  // namespace tb
