#include "reports/paired_tests.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

namespace tb {

double mcnemar_exact_p(int64_t b, int64_t c) {
  if (b < 0 || c < 0) throw std::invalid_argument("mcnemar_exact_p: negative count");
  const int64_t n = b + c;
  if (n == 0) return 1.0;
  const int64_t k = std::min(b, c);
  // Sum the binomial terms in log space: n can be in the thousands (MMLU).
  const double log_half_n = static_cast<double>(n) * std::log(0.5);
  double tail = 0.0;
  for (int64_t i = 0; i <= k; ++i) {
    const double log_choose = std::lgamma(static_cast<double>(n) + 1) -
                              std::lgamma(static_cast<double>(i) + 1) -
                              std::lgamma(static_cast<double>(n - i) + 1);
    tail += std::exp(log_choose + log_half_n);
  }
  return std::min(1.0, 2.0 * tail);
}

uint64_t splitmix64_next(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

namespace {

// An index in [0, n) without modulo bias (rejection of the top partial range).
uint64_t draw_index(uint64_t& state, uint64_t n) {
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  for (;;) {
    const uint64_t x = splitmix64_next(state);
    if (x < limit) return x % n;
  }
}

// Linear interpolation between order statistics (numpy's default "linear" method).
double percentile(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (pos - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

}  // namespace

BootstrapResult paired_bootstrap(std::span<const double> baseline,
                                 std::span<const double> candidate, int resamples, uint64_t seed) {
  if (baseline.size() != candidate.size())
    throw std::invalid_argument("paired_bootstrap: the two runs have different pair counts");
  if (resamples < 1) throw std::invalid_argument("paired_bootstrap: resamples must be positive");
  BootstrapResult r;
  r.resamples = resamples;
  const size_t n = baseline.size();
  if (n == 0) return r;
  std::vector<double> delta(n);
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) {
    delta[i] = candidate[i] - baseline[i];
    sum += delta[i];
  }
  r.mean_delta = sum / static_cast<double>(n);
  std::vector<double> means(static_cast<size_t>(resamples));
  uint64_t state = seed;
  int64_t at_most_zero = 0, at_least_zero = 0;
  for (double& m : means) {
    double s = 0.0;
    for (size_t i = 0; i < n; ++i) s += delta[draw_index(state, n)];
    m = s / static_cast<double>(n);
    at_most_zero += m <= 0.0 ? 1 : 0;
    at_least_zero += m >= 0.0 ? 1 : 0;
  }
  std::sort(means.begin(), means.end());
  r.low = percentile(means, 0.025);
  r.high = percentile(means, 0.975);
  r.p_value = std::min(1.0, 2.0 * static_cast<double>(std::min(at_most_zero, at_least_zero)) /
                                static_cast<double>(resamples));
  return r;
}

}  // namespace tb
