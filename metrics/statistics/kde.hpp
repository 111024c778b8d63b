#pragma once
// One-dimensional Gaussian kernel density estimate with Scott's bandwidth, as
// scipy.stats.gaussian_kde(data) computes it: kernel variance = var(data, ddof=1) * n^(-2/5),
// pdf(x) = mean_i N(x; data_i, variance). And the two figures mgeval's utils.py derives from two
// such estimates (Yang & Lerch 2018):
//   kl_divergence(A, B): scipy.stats.entropy(pdf_A(linspace(min A, max A, 1000)),
//     pdf_B(linspace(min B, max B, 1000))): both vectors normalised to sum 1, then
//     sum p log(p / q), natural log (each density on its own data's range, as mgeval does);
//   overlap_area(A, B): the integral of min(pdf_A, pdf_B) over [min(A, B), max(A, B)]. mgeval
//     uses scipy's adaptive quad; here composite Simpson with kOverlapIntervals intervals.
// Data with fewer than two values or zero variance has no estimate (scipy raises): NaN.
#include <cstddef>
#include <span>
#include <vector>

namespace tb::metrics::statistics {

inline constexpr size_t kKlSamples = 1000;
inline constexpr size_t kOverlapIntervals = 2000;

class GaussianKde {
 public:
  explicit GaussianKde(std::span<const double> data);
  bool valid() const { return valid_; }
  double variance() const { return variance_; }  // of the kernel
  double operator()(double x) const;
  double min() const { return values_.front(); }
  double max() const { return values_.back(); }

 private:
  // Distinct data values, sorted, with their counts (duplicates are evaluated once).
  std::vector<double> values_;
  std::vector<double> counts_;
  size_t n_ = 0;
  double variance_ = 0;
  double sigma_ = 0;
  double norm_ = 0;
  bool valid_ = false;
};

double kl_divergence(std::span<const double> a, std::span<const double> b,
                     size_t samples = kKlSamples);
double overlap_area(std::span<const double> a, std::span<const double> b,
                    size_t intervals = kOverlapIntervals);

}  // namespace tb::metrics::statistics
