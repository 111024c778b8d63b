#pragma once
// Comparing a generated set of pieces with a reference set, feature by feature, as Yang & Lerch
// (2018) and mgeval's demo do: intra-set distances (each piece against every other piece of its
// set, both orders: mgeval's leave-one-out loop), inter-set distances (every generated piece
// against every reference piece), Euclidean over the feature's vector; then
// KL(intra_generated || inter) and the overlapping area OA(intra_generated, inter) of their
// Gaussian kernel density estimates (kde.hpp).
// Sets larger than `max_pieces` are subsampled deterministically to max_pieces pieces evenly
// spread over the set (index floor(i * n / max_pieces)); mgeval's demo draws 100 at random.
// A piece whose feature is NaN (undefined: no notes, a single onset) is left out of that
// feature only.
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "metrics/statistics/features.hpp"

namespace tb::metrics::statistics {

inline constexpr size_t kDefaultMaxPieces = 100;

struct FeatureComparison {
  Feature feature{};
  size_t generated = 0;  // pieces with the feature defined (after subsampling)
  size_t reference = 0;
  double intra_generated_mean = 0;  // mean distance
  double intra_reference_mean = 0;
  double inter_mean = 0;
  double kl = 0;       // KL(intra_generated || inter), NaN when an estimate is undefined
  double overlap = 0;  // OA(intra_generated, inter)
  // Why KL and OA are NaN (empty when they are defined): too few pieces define the feature, or
  // one set of distances has zero variance (every monophonic piece has polyphony 1, say), where
  // scipy's gaussian_kde has no estimate. Also set when KL alone is infinite.
  std::string undefined;
};

// Indices of the pieces kept from a set of n.
std::vector<size_t> subsample(size_t n, size_t max_pieces);

std::vector<double> intra_set_distances(std::span<const std::vector<double>> set);
std::vector<double> inter_set_distances(std::span<const std::vector<double>> a,
                                        std::span<const std::vector<double>> b);

FeatureComparison compare_feature(Feature f, std::span<const PieceFeatures> generated,
                                  std::span<const PieceFeatures> reference,
                                  size_t max_pieces = kDefaultMaxPieces);
std::vector<FeatureComparison> compare_sets(std::span<const PieceFeatures> generated,
                                            std::span<const PieceFeatures> reference,
                                            size_t max_pieces = kDefaultMaxPieces);

}  // namespace tb::metrics::statistics
