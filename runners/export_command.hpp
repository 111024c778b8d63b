#pragma once
#include <CLI/CLI.hpp>

namespace tb {

// `tunebench export RUN --output_path DIR`: lm-eval's results and samples files from the store.
void add_export_command(CLI::App& app);

}  // namespace tb
