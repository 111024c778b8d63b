#include "suites/choice_scoring.hpp"

#include "harness/core/error.hpp"
#include "metrics/classification.hpp"
#include "suites/metric_registry.hpp"

namespace tb::suites {

int first_argmax(std::span<const double> values) {
  int best = -1;
  for (size_t i = 0; i < values.size(); ++i) {
    if (best < 0 || values[i] > values[static_cast<size_t>(best)]) best = static_cast<int>(i);
  }
  return best;
}

int first_argmin(std::span<const double> values) {
  int best = -1;
  for (size_t i = 0; i < values.size(); ++i) {
    if (best < 0 || values[i] < values[static_cast<size_t>(best)]) best = static_cast<int>(i);
  }
  return best;
}

double opencompass_mean_nll(const LmResponse& response) {
  return -response.logprob / static_cast<double>(response.num_tokens + 1);
}

void score_by_loglikelihood(SampleResult& result, std::span<const LmResponse> responses) {
  result.option_scores.clear();
  for (const LmResponse& r : responses) result.option_scores.push_back(r.logprob);
  result.prediction = first_argmax(result.option_scores);
  result.values["acc"] = result.prediction == result.gold ? 1.0 : 0.0;
}

void score_by_mean_nll(SampleResult& result, std::span<const LmResponse> responses) {
  std::vector<double> losses;
  result.option_scores.clear();
  for (size_t i = 0; i < responses.size(); ++i) {
    const double loss = opencompass_mean_nll(responses[i]);
    losses.push_back(loss);
    result.option_scores.push_back(-loss);
    result.values[std::string("nll_") + kLetters[i % 4]] = loss;
  }
  result.prediction = first_argmin(losses);
  result.values["acc"] = result.prediction == result.gold ? 1.0 : 0.0;
}

std::vector<MetricValue> accuracy_by_subset(std::span<const SampleResult> samples,
                                            const std::vector<std::string>& subset_order,
                                            const std::string& metric) {
  std::vector<MetricValue> out;
  auto add = [&](const std::string& subset, const std::vector<double>& values) {
    if (values.empty()) return;
    const metrics::SubsetMean m = metrics::summarize(values);
    out.push_back({metric, subset, m.value, m.standard_error, m.n, higher_is_better(metric)});
  };
  // Samples without the metric (none from this suite) are left out rather than counted.
  auto collect = [&](const std::string* subset) {
    std::vector<double> values;
    for (const SampleResult& s : samples) {
      const auto it = s.values.find(metric);
      if (it != s.values.end() && (subset == nullptr || s.subset == *subset)) {
        values.push_back(it->second);
      }
    }
    return values;
  };
  add("", collect(nullptr));
  for (const std::string& subset : subset_order) add(subset, collect(&subset));
  return out;
}

void check_response_count(const std::string& suite, const Doc& doc,
                          std::span<const LmResponse> responses, size_t expected) {
  if (responses.size() != expected) {
    throw Error(ErrorKind::Internal, suite + ": document " + doc.id + ": expected " +
                                         std::to_string(expected) + " responses, got " +
                                         std::to_string(responses.size()));
  }
}

}  // namespace tb::suites
