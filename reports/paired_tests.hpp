#pragma once
// Paired significance tests for two runs scored on the same documents.
#include <cstdint>
#include <span>

namespace tb {

// Exact (binomial) McNemar test, two-sided: b documents right in A and wrong in B, c wrong in A
// and right in B. p = min(1, 2 * P(X <= min(b, c))) with X ~ Binomial(b + c, 1/2); 1 when
// b + c = 0. Documents right (or wrong) in both carry no information and are not passed.
double mcnemar_exact_p(int64_t b, int64_t c);

struct BootstrapResult {
  double mean_delta = 0.0;  // mean of (candidate - baseline) over the pairs
  double low = 0.0;         // 2.5th percentile of the resampled mean deltas
  double high = 0.0;        // 97.5th percentile
  double p_value = 1.0;     // two-sided: 2 * min(share <= 0, share >= 0), at most 1
  int resamples = 0;
};

// Paired bootstrap of the mean difference candidate[i] - baseline[i]: `resamples` resamples of
// the pairs with replacement, indices drawn from a SplitMix64 stream seeded with `seed` (so the
// result is the same on every platform and standard library). Empty input: all zeros, p 1.
BootstrapResult paired_bootstrap(std::span<const double> baseline,
                                 std::span<const double> candidate, int resamples, uint64_t seed);

// The SplitMix64 generator the bootstrap draws from (Steele, Lea, Flood 2014), exposed for tests.
uint64_t splitmix64_next(uint64_t& state);

}  // namespace tb
