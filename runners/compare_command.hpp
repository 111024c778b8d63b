#pragma once
#include <CLI/CLI.hpp>

namespace tb {

// `tunebench compare A B [C...]`: per-step deltas of stored runs with paired tests on their
// shared documents; `tunebench gate --baseline A --candidate B --max-drop acc=0.01`: exit 1
// when a named metric moved beyond what is allowed (JUnit XML with --junit).
void add_compare_command(CLI::App& app);
void add_gate_command(CLI::App& app);

}  // namespace tb
