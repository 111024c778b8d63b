#pragma once
// Pitch and rhythm statistics of generated ABC tunes for the abc-gen suite: per tune the scalar
// mgeval/MusPy features (metrics/statistics/features.hpp) through metrics/notes/abc_notes, and
// for the whole run Yang & Lerch's KL divergence and overlapping area of each feature's
// intra-set distances against the generated-to-reference distances
// (metrics/statistics/set_comparison.hpp), the reference being the model texts of held-out tunes.
#include <map>
#include <span>
#include <string>
#include <vector>

#include "metrics/abc/abc.hpp"
#include "metrics/statistics/features.hpp"
#include "suites/suite.hpp"

namespace tb::suites {

// The scalar features stored per sample, by the sources' names ("pitch_range", ...).
std::vector<std::string> scalar_feature_names();

// Adds each scalar feature of `tune` that is defined (NaN ones are left out) to `values`.
void add_piece_statistics(const metrics::abc::Tune& tune, std::map<std::string, double>& values);

// The features of the first tune of each text (a text without a tune gives an empty piece).
std::vector<metrics::statistics::PieceFeatures> tune_features(std::span<const std::string> texts);

// "kl_<feature>" (lower is better) and "oa_<feature>" (higher is better) for every feature whose
// comparison is defined, n = generated pieces compared. Empty without a reference.
std::vector<MetricValue> compare_with_reference(
    std::span<const SampleResult> samples,
    std::span<const metrics::statistics::PieceFeatures> reference);

}  // namespace tb::suites
