#pragma once
// Paired comparison of two runs of one suite: per metric and subset both values, the delta, the
// standard errors and a paired test on the documents both runs scored (matched by doc hash).
#include <cstdint>
#include <string>
#include <vector>

#include "reports/run_info.hpp"
#include "reports/store.hpp"
#include "suites/metric_registry.hpp"

namespace tb {

// A run with what it stored.
struct RunData {
  Run run;
  std::vector<MetricValue> metrics;
  std::vector<SampleRow> samples;
};
RunData load_run_data(const Store& store, int64_t run_id);

struct ComparedMetric {
  std::string metric;
  std::string subset;  // "" for the whole suite
  Direction direction = Direction::None;
  double baseline = 0.0;
  double candidate = 0.0;
  double delta = 0.0;  // candidate - baseline
  double baseline_stderr = 0.0;
  double candidate_stderr = 0.0;
  int64_t baseline_n = 0;
  int64_t candidate_n = 0;
  std::string test;            // "mcnemar", "bootstrap" or "" (no paired test for this metric)
  int64_t pairs = 0;           // documents scored by both runs that the test used
  int64_t only_baseline = 0;   // McNemar: right in the baseline only
  int64_t only_candidate = 0;  // McNemar: right in the candidate only
  double ci_low = 0.0;         // bootstrap: 95% interval of the mean per-document delta
  double ci_high = 0.0;
  double p_value = 0.0;  // NaN when there is no test
  // The move is beyond noise: a paired test with p < alpha.
  bool significant = false;
};

struct CompareOptions {
  int resamples = 2000;
  uint64_t seed = 1234;
  double alpha = 0.05;
};

// Every metric (name, subset) that both runs stored, in the baseline's order. Throws tb::Error
// (BadInput) when the runs are of different suites.
std::vector<ComparedMetric> compare_runs(const RunData& baseline, const RunData& candidate,
                                         const CompareOptions& options);

}  // namespace tb
