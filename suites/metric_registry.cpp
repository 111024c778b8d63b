#include "suites/metric_registry.hpp"

#include "harness/core/error.hpp"
#include "metrics/statistics/features.hpp"

namespace tb {

namespace {

using A = Aggregation;
using D = Direction;
using S = StderrRule;
using T = PairedTest;

MetricInfo mean(std::string name, D direction, T test = T::Bootstrap) {
  std::string sample = name;
  return {std::move(name), direction, A::Mean, S::SampleMean, test, std::move(sample)};
}

std::vector<MetricInfo> build() {
  std::vector<MetricInfo> r = {
      // Multiple choice (MusicTheoryBench, MMLU): per question 0/1.
      {"acc", D::Higher, A::MicroMean, S::SampleMean, T::McNemar, "acc"},
      {"acc_macro", D::Higher, A::MacroMean, S::SampleMean, T::None, ""},
      {"majority_acc", D::Higher, A::Mean, S::SampleMean, T::None, ""},
      // Perplexity suites: ratios of sums, tested on the per-document NLL.
      {"perplexity", D::Lower, A::Ratio, S::None, T::Bootstrap, "nll"},
      {"bits_per_byte", D::Lower, A::Ratio, S::None, T::Bootstrap, "nll"},
      {"nll_per_token", D::Lower, A::Ratio, S::None, T::Bootstrap, "nll"},
      {"tokens", D::None, A::Sum, S::None, T::None, ""},
      {"bytes", D::None, A::Sum, S::None, T::None, ""},
      {"tunes", D::None, A::Sum, S::None, T::None, ""},
      // Generation: per-tune validity tiers, repetition and how the tune ended.
      mean("tier1", D::Higher),
      mean("tier2", D::Higher),
      mean("tier3", D::Higher),
      mean("tier4", D::Higher),
      mean("level_at_least_1", D::Higher),
      mean("level_at_least_2", D::Higher),
      mean("level_at_least_3", D::Higher),
      mean("level_at_least_4", D::Higher),
      mean("level", D::Higher),
      mean("header_complete", D::Higher),
      mean("all_header_fields", D::Higher),
      mean("uses_repeats", D::None),
      mean("truncated", D::Lower),
      mean("loop", D::Lower),
      mean("seq_rep_1", D::Lower),
      mean("seq_rep_2", D::Lower),
      mean("seq_rep_3", D::Lower),
      mean("seq_rep_4", D::Lower),
      mean("rep_w16", D::Lower),
      mean("rep_r", D::Lower),
      mean("lrs_ratio", D::Lower),
      mean("bar_repetition", D::Lower),
      mean("tokens_per_tune", D::None),
      mean("finish_eos", D::Higher),
      mean("finish_stop", D::Higher),
      mean("finish_length", D::Lower),
      // Against the held-out tunes (Yang & Lerch): closer is better.
      {"kl_*", D::Lower, A::SetCompare, S::None, T::None, ""},
      {"oa_*", D::Higher, A::SetCompare, S::None, T::None, ""},
      // MIDI-token generation (mmm-gen, pvdt-gen): structural validity per piece.
      mean("valid", D::Higher),
      mean("piece", D::Higher),
      mean("tracks", D::Higher),
      mean("bars", D::Higher),
      mean("notes", D::Higher),
      mean("bar_length", D::Higher),
      mean("bar_count", D::Higher),
      mean("known_tokens", D::Higher),
      mean("decode_clean", D::Higher),
      mean("nonempty", D::Higher),
      mean("well_formed", D::Higher),
      mean("pitch_in_range", D::Higher),
      mean("velocity_in_range", D::Higher),
      mean("duration_positive", D::Higher),
      mean("bend_in_range", D::Higher),
      mean("track_count", D::None),
      mean("note_count", D::None),
      mean("bend_rate", D::None),
  };
  // Pitch and rhythm statistics of generated pieces, one per scalar feature of
  // metrics/statistics: descriptive, no better way.
  for (size_t k = 0; k < metrics::statistics::kFeatureCount; ++k) {
    const auto f = metrics::statistics::feature_at(k);
    if (metrics::statistics::feature_size(f) != 1 || metrics::statistics::per_bar(f)) continue;
    r.push_back(mean(std::string(metrics::statistics::feature_name(f)), D::None));
  }
  return r;
}

}  // namespace

const std::vector<MetricInfo>& metric_registry() {
  static const std::vector<MetricInfo> registry = build();
  return registry;
}

std::optional<MetricInfo> find_metric(std::string_view name) {
  for (const MetricInfo& m : metric_registry())
    if (m.name == name) return m;
  for (const MetricInfo& m : metric_registry()) {
    if (m.name.empty() || m.name.back() != '*') continue;
    const std::string_view prefix(m.name.data(), m.name.size() - 1);
    if (name.size() > prefix.size() && name.substr(0, prefix.size()) == prefix) {
      MetricInfo exact = m;
      exact.name = std::string(name);
      return exact;
    }
  }
  return std::nullopt;
}

MetricInfo metric_info(std::string_view name) {
  auto found = find_metric(name);
  if (!found)
    throw Error(ErrorKind::Internal,
                "metric '" + std::string(name) + "' is not in suites/metric_registry.cpp");
  return *found;
}

Direction metric_direction(std::string_view name) {
  const auto found = find_metric(name);
  return found ? found->direction : Direction::None;
}

bool higher_is_better(std::string_view name) {
  return metric_info(name).direction == Direction::Higher;
}

const char* to_string(Direction direction) {
  switch (direction) {
    case Direction::Higher:
      return "higher";
    case Direction::Lower:
      return "lower";
    case Direction::None:
      return "none";
  }
  return "none";
}

}  // namespace tb
