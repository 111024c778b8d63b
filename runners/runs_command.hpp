#pragma once
#include <CLI/CLI.hpp>

namespace tb {

// `tunebench runs [--db F] [--json]` lists the stored runs; `tunebench show RUN [--db F]
// [--markdown|--json]` prints one run's metric table.
void add_runs_commands(CLI::App& app);

}  // namespace tb
