#include "metrics/statistics/summary.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace tb::metrics::statistics {

double percentile(std::span<const double> sorted, double q) {
  const double position = q * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(position));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double frac = position - static_cast<double>(lo);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

Summary summarize(std::span<const double> values) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> v;
  for (double x : values) {
    if (!std::isnan(x)) v.push_back(x);
  }
  Summary s;
  s.n = v.size();
  if (v.empty()) return {0, kNaN, kNaN, kNaN, kNaN, kNaN};
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / static_cast<double>(v.size());
  double ss = 0;
  for (double x : v) ss += (x - s.mean) * (x - s.mean);
  s.std = v.size() < 2 ? kNaN : std::sqrt(ss / static_cast<double>(v.size() - 1));
  std::sort(v.begin(), v.end());
  s.median = percentile(v, 0.5);
  s.q1 = percentile(v, 0.25);
  s.q3 = percentile(v, 0.75);
  return s;
}

}  // namespace tb::metrics::statistics
