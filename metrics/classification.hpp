#pragma once
// Classification metrics over per-sample values: accuracy, lm-eval's standard errors, fixed-seed
// bootstrap, micro and macro averages. Standard library only (DESIGN.md: metrics are pure).
#include <cstdint>
#include <span>
#include <vector>

namespace tb::metrics {

// SplitMix64 (Steele, Lea, Flood 2014): a tiny, fully specified generator, so fixed seeds give
// the same streams on every platform (std:: distributions are implementation-defined).
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n) for n > 0, by rejection so that no value is favoured.
  uint64_t below(uint64_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x = next();
    while (x >= limit) x = next();
    return x % n;
  }

 private:
  uint64_t state_;
};

// Arithmetic mean; NaN for an empty span.
double mean(std::span<const double> values);

// Standard error of the mean as lm-eval's `mean_stderr`: sqrt(sample_variance / n) with the
// sample variance's n - 1 denominator. NaN when n < 2 (lm-eval's statistics.stdev raises there).
double mean_stderr(std::span<const double> values);

// Bootstrap standard error of the mean: `iterations` resamples of n values drawn with
// replacement, the sample standard deviation (n - 1) of their means; indices come from
// SplitMix64(seed).below(n), so a given seed gives the same figure on every platform.
double bootstrap_stderr(std::span<const double> values, int iterations = 1000,
                        uint64_t seed = 1234);

// lm-eval's `pooled_sample_stderr`: the standard error of a size-weighted group mean from its
// members' standard errors, sqrt(sum((n_i - 1) * se_i^2 * n_i) / (N - k) / N). It pools the
// within-member variances (it ignores differences between member means), which is what lm-eval
// reports for its MMLU category groups and for `mmlu` itself.
double pooled_sample_stderr(std::span<const double> stderrs, std::span<const int64_t> sizes);

// One member of an average: its mean, standard error and sample count.
struct SubsetMean {
  double value = 0.0;
  double standard_error = 0.0;
  int64_t n = 0;
};

// Micro average: the size-weighted mean (= the mean over all pooled samples), with
// pooled_sample_stderr. Members with n == 0 are skipped.
SubsetMean micro_average(std::span<const SubsetMean> members);

// Macro average: the unweighted mean of the members' means; its standard error treats the
// members as independent estimates: sqrt(sum(se_i^2)) / k. n is the total sample count.
SubsetMean macro_average(std::span<const SubsetMean> members);

// Mean and mean_stderr of `values` as a SubsetMean.
SubsetMean summarize(std::span<const double> values);

}  // namespace tb::metrics
