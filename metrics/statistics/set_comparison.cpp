#include "metrics/statistics/set_comparison.hpp"

#include <cmath>
#include <sstream>

#include "metrics/statistics/kde.hpp"

namespace tb::metrics::statistics {
namespace {

double distance(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
  return std::sqrt(s);
}

double mean(const std::vector<double>& v) {
  if (v.empty()) return std::nan("");
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

bool defined(const std::vector<double>& v) {
  if (v.empty()) return false;
  for (double x : v) {
    if (std::isnan(x)) return false;
  }
  return true;
}

std::vector<std::vector<double>> defined_values(Feature f, std::span<const PieceFeatures> set,
                                                size_t max_pieces) {
  std::vector<std::vector<double>> all;
  for (const PieceFeatures& p : set) {
    std::vector<double> v = piece_summary(f, p[f]);
    if (defined(v)) all.push_back(std::move(v));
  }
  std::vector<std::vector<double>> kept;
  for (size_t i : subsample(all.size(), max_pieces)) kept.push_back(std::move(all[i]));
  return kept;
}

// Why a Gaussian KDE of these distances does not exist, or "" when it does.
std::string no_estimate(const std::vector<double>& d, const std::string& what) {
  if (d.size() < 2) return "fewer than 2 " + what;
  if (!GaussianKde(d).valid()) {
    std::ostringstream value;
    value << d.front();
    return "the " + what + " all equal " + value.str() + " (zero variance: no density estimate)";
  }
  return "";
}

}  // namespace

std::vector<size_t> subsample(size_t n, size_t max_pieces) {
  std::vector<size_t> out;
  const size_t k = std::min(n, max_pieces);
  for (size_t i = 0; i < k; ++i) out.push_back(n <= max_pieces ? i : i * n / max_pieces);
  return out;
}

std::vector<double> intra_set_distances(std::span<const std::vector<double>> set) {
  std::vector<double> d;
  d.reserve(set.size() * (set.size() > 0 ? set.size() - 1 : 0));
  for (size_t i = 0; i < set.size(); ++i) {
    for (size_t j = 0; j < set.size(); ++j) {
      if (i != j) d.push_back(distance(set[i], set[j]));
    }
  }
  return d;
}

std::vector<double> inter_set_distances(std::span<const std::vector<double>> a,
                                        std::span<const std::vector<double>> b) {
  std::vector<double> d;
  d.reserve(a.size() * b.size());
  for (const auto& x : a) {
    for (const auto& y : b) d.push_back(distance(x, y));
  }
  return d;
}

FeatureComparison compare_feature(Feature f, std::span<const PieceFeatures> generated,
                                  std::span<const PieceFeatures> reference, size_t max_pieces) {
  const auto gen = defined_values(f, generated, max_pieces);
  const auto ref = defined_values(f, reference, max_pieces);
  const auto intra_gen = intra_set_distances(gen);
  const auto intra_ref = intra_set_distances(ref);
  const auto inter = inter_set_distances(gen, ref);
  FeatureComparison c;
  c.feature = f;
  c.generated = gen.size();
  c.reference = ref.size();
  c.intra_generated_mean = mean(intra_gen);
  c.intra_reference_mean = mean(intra_ref);
  c.inter_mean = mean(inter);
  c.kl = kl_divergence(intra_gen, inter);
  c.overlap = overlap_area(intra_gen, inter);
  const std::string name(feature_name(f));
  if (gen.size() < 2) {
    c.undefined = std::to_string(gen.size()) + " generated piece(s) define " + name +
                  " (intra-set distances need 2)";
  } else if (ref.empty()) {
    c.undefined = "no reference piece defines " + name;
  } else if (std::string why = no_estimate(intra_gen, "intra-set distances of " + name);
             !why.empty()) {
    c.undefined = why;
  } else if (std::string why_inter = no_estimate(inter, "inter-set distances of " + name);
             !why_inter.empty()) {
    c.undefined = why_inter;
  } else if (std::isinf(c.kl)) {
    c.undefined = "KL is infinite: the inter-set density is 0 where the intra-set one is not";
  }
  return c;
}

std::vector<FeatureComparison> compare_sets(std::span<const PieceFeatures> generated,
                                            std::span<const PieceFeatures> reference,
                                            size_t max_pieces) {
  std::vector<FeatureComparison> out;
  for (size_t i = 0; i < kFeatureCount; ++i) {
    out.push_back(compare_feature(feature_at(i), generated, reference, max_pieces));
  }
  return out;
}

}  // namespace tb::metrics::statistics
