#pragma once
#include <CLI/CLI.hpp>

namespace tb {

// `tunebench metrics FILES... [--reference FILES...] [--json] [--format abc|midi|mmm|pvdt|auto]`:
// validity, repetition and pitch/rhythm statistics of a set of pieces; with --reference, the
// KL divergence and overlapping area per feature (metrics/statistics/set_comparison.hpp).
void add_metrics_command(CLI::App& app);

}  // namespace tb
