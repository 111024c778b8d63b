#pragma once
// lm-eval results and samples files from stored runs: `eval --output_path` and `export`.
#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "reports/render_json.hpp"
#include "reports/store.hpp"

namespace tb {

// The run's metrics with lm-eval's grouping (MMLU subjects under their category) and the
// document counts before and after --limit the run stored.
RunMetrics lm_eval_run_metrics(const Store& store, int64_t run_id);

// Writes <dir>/<model>/results_<now>.json for the runs and, when log_samples, a samples file per
// run; returns the files written.
std::vector<std::filesystem::path> write_lm_eval_output(const Store& store,
                                                        std::span<const int64_t> run_ids,
                                                        const std::filesystem::path& dir,
                                                        bool log_samples);

}  // namespace tb
