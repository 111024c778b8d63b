#pragma once
#include <CLI/CLI.hpp>

namespace tb {

// `tunebench merge OUT SHARDS...`: combines the stores of one run's shards and recomputes its
// metrics; refuses shards of different runs and shards that overlap.
void add_merge_command(CLI::App& app);

}  // namespace tb
