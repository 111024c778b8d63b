#pragma once
// Results as JSON in the layout of lm-evaluation-harness's results file (lm_eval/evaluator.py,
// EvaluationTracker), so that tools reading those files read tunebench's too.
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reports/run_info.hpp"
#include "harness/core/records.hpp"

namespace tb {

struct RunMetrics {
  Run run;
  std::vector<MetricValue> metrics;
  // The subset a subset's metrics roll up into ("" for the suite itself): MMLU subjects roll up
  // into their category. Subsets not named here roll up into the suite.
  std::map<std::string, std::string> parents = {};
  // Documents per leaf subset before and after --limit ("" for a suite without subsets). Empty:
  // the metric's n stands for both.
  std::map<std::string, int64_t> original_docs = {};
  std::map<std::string, int64_t> effective_docs = {};
};

// {"results": {"<suite>": {"alias": "<suite>", "acc,none": v, "acc_stderr,none": s, ...},
//              "<suite>_<group>": {"alias": " - <group>", ...},
//              "<suite>_<subset>": {"alias": "  - <subset>", ...}},   (depth-first)
//  "groups": {"<suite>": {...}, "<suite>_<group>": {...}}   (the entries that have members)
//  "group_subtasks": {"<suite>_<group>": ["<suite>_<subset>", ...], "<suite>": [...]},
//  "configs": {"<task>": {"task", "version", "num_fewshot", "options"}},
//  "versions": {"<task>": "<version>"}, "n-shot": {"<task>": shots},
//  "higher_is_better": {"<task>": {"acc": true}},
//  "n-samples": {"<leaf task>": {"original": n, "effective": n}},
//  "config": {"model": "tunebench", "model_args": "pretrained=<path>", "limit": ..., ...},
//  "git_hash", "date" (start, Unix seconds), "model_name", "model_name_sanitized",
//  "start_time", "end_time" (Unix seconds), "total_evaluation_time_seconds" (a string)}
// Subset names have spaces replaced by '_'. An undefined stderr is "N/A" (as lm-eval writes
// it), a NaN value null. "config" describes the first run: pass runs of one model.
// Keys in lm-eval's order (ordered_json): "results" lists each group before its members.
nlohmann::ordered_json render_lm_eval_json(std::span<const RunMetrics> runs);

// Unix seconds of an ISO-8601 UTC time as the store writes it ("2026-12-01T21:45:35.123Z");
// NaN when it does not parse.
double unix_seconds(const std::string& iso_utc);

// A model path as lm-eval's model_name_sanitized: '/' becomes "__" and other characters that
// are not letters, digits, '-', '_' or '.' become '_'.
std::string sanitize_model_name(const std::string& name);

}  // namespace tb
