#pragma once
// Summary of one value over a set of pieces: count, mean, sample standard deviation (n - 1 in
// the denominator; NaN below two values), median and quartiles as numpy.percentile computes them
// by default (linear interpolation between the closest ranks: position q * (n - 1) of the sorted
// values). NaN values (undefined for that piece) are left out; all NaN without any value.
#include <cstddef>
#include <span>

namespace tb::metrics::statistics {

struct Summary {
  size_t n = 0;
  double mean = 0;
  double std = 0;
  double median = 0;
  double q1 = 0;  // 25th percentile
  double q3 = 0;  // 75th percentile
};

Summary summarize(std::span<const double> values);

// numpy.percentile(sorted, q * 100) of sorted, non-empty values, q in [0, 1].
double percentile(std::span<const double> sorted, double q);

}  // namespace tb::metrics::statistics
