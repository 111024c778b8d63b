#include "metrics/statistics/kde.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace tb::metrics::statistics {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Kernels farther than this many bandwidths beyond the nearest one add less than e^-72 of it.
constexpr double kReach = 12.0;

// numpy.linspace(lo, hi, n)[i]
double linspace(double lo, double hi, size_t n, size_t i) {
  if (n == 1) return lo;
  if (i == n - 1) return hi;
  const double step = (hi - lo) / static_cast<double>(n - 1);
  return lo + static_cast<double>(i) * step;
}

}  // namespace

GaussianKde::GaussianKde(std::span<const double> data) : n_(data.size()) {
  if (n_ < 2) return;
  double mean = 0;
  for (double x : data) mean += x;
  mean /= static_cast<double>(n_);
  double ss = 0;
  for (double x : data) ss += (x - mean) * (x - mean);
  const double var = ss / static_cast<double>(n_ - 1);
  const double factor = std::pow(static_cast<double>(n_), -1.0 / 5.0);
  variance_ = var * factor * factor;
  if (!(variance_ > 0) || !std::isfinite(variance_)) return;
  sigma_ = std::sqrt(variance_);
  norm_ = 1.0 / (static_cast<double>(n_) * std::sqrt(2.0 * std::numbers::pi * variance_));
  std::vector<double> sorted(data.begin(), data.end());
  std::sort(sorted.begin(), sorted.end());
  for (double x : sorted) {
    if (values_.empty() || values_.back() != x) {
      values_.push_back(x);
      counts_.push_back(1);
    } else {
      counts_.back() += 1;
    }
  }
  valid_ = true;
}

double GaussianKde::operator()(double x) const {
  if (!valid_) return kNaN;
  auto it = std::lower_bound(values_.begin(), values_.end(), x);
  double nearest = std::numeric_limits<double>::infinity();
  if (it != values_.end()) nearest = *it - x;
  if (it != values_.begin()) nearest = std::min(nearest, x - *(it - 1));
  const double reach = nearest + kReach * sigma_;
  const size_t lo = static_cast<size_t>(
      std::lower_bound(values_.begin(), values_.end(), x - reach) - values_.begin());
  const size_t hi = static_cast<size_t>(
      std::upper_bound(values_.begin(), values_.end(), x + reach) - values_.begin());
  const double inv = -0.5 / variance_;
  double sum = 0;
  for (size_t i = lo; i < hi; ++i) {
    const double d = x - values_[i];
    sum += counts_[i] * std::exp(d * d * inv);
  }
  return sum * norm_;
}

double kl_divergence(std::span<const double> a, std::span<const double> b, size_t samples) {
  const GaussianKde pa(a), pb(b);
  if (!pa.valid() || !pb.valid() || samples < 1) return kNaN;
  std::vector<double> p(samples), q(samples);
  double sp = 0, sq = 0;
  for (size_t i = 0; i < samples; ++i) {
    p[i] = pa(linspace(pa.min(), pa.max(), samples, i));
    q[i] = pb(linspace(pb.min(), pb.max(), samples, i));
    sp += p[i];
    sq += q[i];
  }
  double kl = 0;
  for (size_t i = 0; i < samples; ++i) {
    const double pi = p[i] / sp, qi = q[i] / sq;
    if (pi > 0) kl += qi > 0 ? pi * std::log(pi / qi) : std::numeric_limits<double>::infinity();
  }
  return kl;
}

double overlap_area(std::span<const double> a, std::span<const double> b, size_t intervals) {
  const GaussianKde pa(a), pb(b);
  if (!pa.valid() || !pb.valid()) return kNaN;
  intervals += intervals % 2;  // Simpson needs an even count
  const double lo = std::min(pa.min(), pb.min());
  const double hi = std::max(pa.max(), pb.max());
  if (!(hi > lo)) return 0.0;
  const double h = (hi - lo) / static_cast<double>(intervals);
  double sum = 0;
  for (size_t i = 0; i <= intervals; ++i) {
    const double x = linspace(lo, hi, intervals + 1, i);
    const double f = std::min(pa(x), pb(x));
    sum += f * (i == 0 || i == intervals ? 1.0 : (i % 2 == 1 ? 4.0 : 2.0));
  }
  return sum * h / 3.0;
}

}  // namespace tb::metrics::statistics
