#pragma once
// Results as JSON in the layout of lm-evaluation-harness's results file, so that tools reading
// those files read tunebench's too.
#include <span>
#include <vector>

#include <nlohmann/json.hpp>

#include "reports/run_info.hpp"
#include "suites/suite.hpp"

namespace tb {

struct RunMetrics {
  Run run;
  std::vector<MetricValue> metrics;
};

// {"results": {"<suite>": {"alias": "<suite>", "acc,none": v, "acc_stderr,none": s, ...},
//              "<suite>_<subset>": {"alias": " - <subset>", ...}},
//  "group_subtasks": {"<suite>": ["<suite>_<subset>", ...]},
//  "configs": {"<task>": {"task", "version", "options"}}, "versions": {"<task>": "<version>"},
//  "n-shot": {...}, "higher_is_better": {"<task>": {"acc": true}},
//  "n-samples": {"<task>": {"original": n, "effective": n}},
//  "config": {"model": "tunebench", "model_args": "pretrained=<path>", ...}}
// Subset names have spaces replaced by '_'. An undefined stderr is "N/A" (as lm-eval writes
// it), a NaN value null. "config" describes the first run: pass runs of one model.
nlohmann::json render_lm_eval_json(std::span<const RunMetrics> runs);

}  // namespace tb
