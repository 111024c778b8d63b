#pragma once
#include <CLI/CLI.hpp>

namespace tb {

// `tunebench score --model DIR [--json] FILE...`: per-text log-probabilities and perplexity,
// then corpus perplexity and bits per byte.
void add_score_command(CLI::App& app);

}  // namespace tb
