#pragma once
#include <CLI/CLI.hpp>

namespace tb {

// `tunebench eval --model DIR --suite mtb,mmlu,abc-ppl --db results.sqlite`: scores suites into
// the store, resuming a killed run where it stopped and never recomputing a finished one.
void add_eval_command(CLI::App& app);

}  // namespace tb
