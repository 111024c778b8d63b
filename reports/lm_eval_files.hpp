#pragma once
// lm-evaluation-harness's output files, written from stored runs: `--output_path DIR` writes
// DIR/<model_name_sanitized>/results_<date>.json (render_lm_eval_json) and, with
// `--log_samples`, samples_<task>_<date>.jsonl beside it, as lm-eval's EvaluationTracker does.
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reports/render_json.hpp"
#include "reports/store.hpp"

namespace tb {

// lm-eval's date id: the local ISO time with ':' replaced by '-', here in UTC with microseconds
// ("2026-12-01T21-45-35.123456").
std::string lm_eval_date_id(double unix_seconds);

// One line of samples_<task>_<date>.jsonl: doc_id (the position in the run), doc, target,
// arguments, resps, filtered_resps, doc_hash, prompt_hash, target_hash and the per-sample
// metric values; tunebench's own doc id and subset as tb_doc_id and tb_subset.
nlohmann::json lm_eval_sample(const SampleRow& row, int64_t position);

struct RunFiles {
  RunMetrics metrics;
  std::vector<SampleRow> samples;  // written when log_samples
};

// Writes the files (each to a temporary name, then renamed) and returns their paths. Throws
// tb::Error (Io) naming the file that cannot be written.
std::vector<std::filesystem::path> write_lm_eval_files(const std::filesystem::path& dir,
                                                       std::span<const RunFiles> runs,
                                                       bool log_samples,
                                                       const std::string& date_id);

}  // namespace tb
