#include "metrics/classification.hpp"

#include <cmath>
#include <limits>

namespace tb::metrics {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double sample_variance(std::span<const double> values) {
  const double m = mean(values);
  double sum_sq = 0.0;
  for (double v : values) sum_sq += (v - m) * (v - m);
  return sum_sq / static_cast<double>(values.size() - 1);
}

}  // namespace

double mean(std::span<const double> values) {
  if (values.empty()) return kNaN;
  double sum = 0.0;
  for (double v : values) sum += v;
  return sum / static_cast<double>(values.size());
}

double mean_stderr(std::span<const double> values) {
  if (values.size() < 2) return kNaN;
  return std::sqrt(sample_variance(values) / static_cast<double>(values.size()));
}

double bootstrap_stderr(std::span<const double> values, int iterations, uint64_t seed) {
  if (values.size() < 2 || iterations < 2) return kNaN;
  SplitMix64 rng(seed);
  std::vector<double> means(static_cast<size_t>(iterations));
  for (double& m : means) {
    double sum = 0.0;
    for (size_t i = 0; i < values.size(); ++i) sum += values[rng.below(values.size())];
    m = sum / static_cast<double>(values.size());
  }
  return std::sqrt(sample_variance(means));
}

double pooled_sample_stderr(std::span<const double> stderrs, std::span<const int64_t> sizes) {
  if (stderrs.size() != sizes.size() || stderrs.empty()) return kNaN;
  double numerator = 0.0;
  int64_t total = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    const auto n = static_cast<double>(sizes[i]);
    if (sizes[i] > 1) numerator += (n - 1.0) * stderrs[i] * stderrs[i] * n;  // n = 1: no spread
    total += sizes[i];
  }
  const auto k = static_cast<int64_t>(sizes.size());
  if (total - k <= 0) return kNaN;
  return std::sqrt(numerator / static_cast<double>(total - k) / static_cast<double>(total));
}

SubsetMean micro_average(std::span<const SubsetMean> members) {
  SubsetMean out;
  std::vector<double> stderrs;
  std::vector<int64_t> sizes;
  double weighted = 0.0;
  for (const SubsetMean& m : members) {
    if (m.n == 0) continue;
    weighted += m.value * static_cast<double>(m.n);
    out.n += m.n;
    stderrs.push_back(m.standard_error);
    sizes.push_back(m.n);
  }
  if (out.n == 0) return {kNaN, kNaN, 0};
  out.value = weighted / static_cast<double>(out.n);
  out.standard_error = pooled_sample_stderr(stderrs, sizes);
  return out;
}

SubsetMean macro_average(std::span<const SubsetMean> members) {
  SubsetMean out;
  double sum = 0.0;
  double sum_var = 0.0;
  int64_t k = 0;
  for (const SubsetMean& m : members) {
    if (m.n == 0) continue;
    sum += m.value;
    sum_var += m.standard_error * m.standard_error;
    out.n += m.n;
    ++k;
  }
  if (k == 0) return {kNaN, kNaN, 0};
  out.value = sum / static_cast<double>(k);
  out.standard_error = std::sqrt(sum_var) / static_cast<double>(k);
  return out;
}

SubsetMean summarize(std::span<const double> values) {
  return {mean(values), mean_stderr(values), static_cast<int64_t>(values.size())};
}

}  // namespace tb::metrics
