#include "reports/compare.hpp"

#include <cmath>
#include <limits>
#include <map>

#include "harness/core/error.hpp"
#include "reports/paired_tests.hpp"

namespace tb {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The per-document values of `value` in `subset` ("" for all), by doc hash.
std::map<std::string, double> values_by_doc(const RunData& run, const std::string& value,
                                            const std::string& subset) {
  std::map<std::string, double> out;
  for (const SampleRow& row : run.samples) {
    if (!subset.empty() && row.result.subset != subset) continue;
    const auto it = row.result.values.find(value);
    if (it != row.result.values.end() && std::isfinite(it->second))
      out.emplace(row.doc_hash, it->second);
  }
  return out;
}

void add_paired_test(ComparedMetric& c, const MetricInfo& info, const RunData& baseline,
                     const RunData& candidate, const CompareOptions& options) {
  c.p_value = kNaN;
  if (info.paired_test == PairedTest::None || info.sample_value.empty()) return;
  const auto a = values_by_doc(baseline, info.sample_value, c.subset);
  const auto b = values_by_doc(candidate, info.sample_value, c.subset);
  std::vector<double> x, y;
  for (const auto& [hash, value] : a) {
    const auto it = b.find(hash);
    if (it == b.end()) continue;
    x.push_back(value);
    y.push_back(it->second);
  }
  c.pairs = static_cast<int64_t>(x.size());
  if (x.empty()) return;
  if (info.paired_test == PairedTest::McNemar) {
    c.test = "mcnemar";
    for (size_t i = 0; i < x.size(); ++i) {
      const bool right_a = x[i] > 0.5, right_b = y[i] > 0.5;
      c.only_baseline += right_a && !right_b ? 1 : 0;
      c.only_candidate += right_b && !right_a ? 1 : 0;
    }
    c.p_value = mcnemar_exact_p(c.only_baseline, c.only_candidate);
  } else {
    c.test = "bootstrap";
    const BootstrapResult r = paired_bootstrap(x, y, options.resamples, options.seed);
    c.ci_low = r.low;
    c.ci_high = r.high;
    c.p_value = r.p_value;
  }
  c.significant = c.p_value < options.alpha;
}

}  // namespace

RunData load_run_data(const Store& store, int64_t run_id) {
  return {store.run(run_id), store.metrics(run_id), store.samples(run_id)};
}

std::vector<ComparedMetric> compare_runs(const RunData& baseline, const RunData& candidate,
                                         const CompareOptions& options) {
  if (baseline.run.info.suite != candidate.run.info.suite)
    throw Error(ErrorKind::BadInput, "runs " + std::to_string(baseline.run.id) + " and " +
                                         std::to_string(candidate.run.id) +
                                         " are of different suites (" + baseline.run.info.suite +
                                         ", " + candidate.run.info.suite + ")");
  std::map<std::pair<std::string, std::string>, const MetricValue*> other;
  for (const MetricValue& m : candidate.metrics) other[{m.name, m.subset}] = &m;
  std::vector<ComparedMetric> out;
  for (const MetricValue& m : baseline.metrics) {
    const auto it = other.find({m.name, m.subset});
    if (it == other.end()) continue;
    const MetricValue& n = *it->second;
    ComparedMetric c;
    c.metric = m.name;
    c.subset = m.subset;
    const auto info = find_metric(m.name);
    c.direction = info ? info->direction : Direction::None;
    c.baseline = m.value;
    c.candidate = n.value;
    c.delta = n.value - m.value;
    c.baseline_stderr = m.standard_error;
    c.candidate_stderr = n.standard_error;
    c.baseline_n = m.n;
    c.candidate_n = n.n;
    if (info)
      add_paired_test(c, *info, baseline, candidate, options);
    else
      c.p_value = kNaN;
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace tb
