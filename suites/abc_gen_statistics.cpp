#include "suites/abc_gen_statistics.hpp"

#include <cmath>
#include <limits>

#include "metrics/notes/abc_notes.hpp"
#include "metrics/statistics/set_comparison.hpp"
#include "suites/metric_registry.hpp"

namespace tb::suites {

namespace st = metrics::statistics;

std::vector<std::string> scalar_feature_names() {
  std::vector<std::string> names;
  for (size_t k = 0; k < st::kFeatureCount; ++k) {
    const st::Feature f = st::feature_at(k);
    if (st::feature_size(f) == 1 && !st::per_bar(f)) names.emplace_back(st::feature_name(f));
  }
  return names;
}

void add_piece_statistics(const metrics::abc::Tune& tune, std::map<std::string, double>& values) {
  const st::PieceFeatures features = st::piece_features(notes::abc_to_notes(tune));
  for (size_t k = 0; k < st::kFeatureCount; ++k) {
    const st::Feature f = st::feature_at(k);
    if (st::feature_size(f) != 1 || st::per_bar(f)) continue;
    const double v = features[f].front();
    if (std::isfinite(v)) values[std::string(st::feature_name(f))] = v;
  }
}

std::vector<st::PieceFeatures> tune_features(std::span<const std::string> texts) {
  std::vector<st::PieceFeatures> out;
  out.reserve(texts.size());
  for (const std::string& text : texts) {
    const auto tunes = metrics::abc::split_tunes(text);
    out.push_back(tunes.empty() ? st::piece_features(notes::NoteSequence{})
                                : st::piece_features(
                                      notes::abc_to_notes(metrics::abc::parse_tune(tunes[0]))));
  }
  return out;
}

std::vector<MetricValue> compare_with_reference(std::span<const SampleResult> samples,
                                                std::span<const st::PieceFeatures> reference) {
  if (reference.empty() || samples.empty()) return {};
  std::vector<std::string> texts;
  texts.reserve(samples.size());
  for (const SampleResult& s : samples) texts.push_back(s.piece());
  const std::vector<st::PieceFeatures> generated = tune_features(texts);
  std::vector<MetricValue> out;
  const double no_stderr = std::numeric_limits<double>::quiet_NaN();
  for (const st::FeatureComparison& c : st::compare_sets(generated, reference)) {
    const std::string name(st::feature_name(c.feature));
    const auto n = static_cast<int64_t>(c.generated);
    if (std::isfinite(c.kl))
      out.push_back({"kl_" + name, "", c.kl, no_stderr, n, higher_is_better("kl_" + name)});
    if (std::isfinite(c.overlap))
      out.push_back({"oa_" + name, "", c.overlap, no_stderr, n, higher_is_better("oa_" + name)});
  }
  return out;
}

}  // namespace tb::suites
