// The feature list (names as mgeval and MusPy spell them) and the per-piece bundle.
#include "metrics/statistics/features.hpp"

#include <limits>

namespace tb::metrics::statistics {
namespace {

struct Info {
  std::string_view name;
  size_t size;
  bool per_bar = false;
};
constexpr Info kInfo[kFeatureCount] = {
    {"total_used_pitch", 1},
    {"total_used_note", 1},
    {"bar_used_pitch", 1, true},
    {"bar_used_note", 1, true},
    {"total_pitch_class_histogram", 12},
    {"bar_pitch_class_histogram", 12, true},
    {"pitch_class_transition_matrix", 144},
    {"pitch_range", 1},
    {"avg_pitch_shift", 1},
    {"avg_IOI", 1},
    {"note_length_hist", 12},
    {"note_length_transition_matrix", 144},
    {"n_pitch_classes_used", 1},
    {"pitch_entropy", 1},
    {"pitch_class_entropy", 1},
    {"pitch_in_scale_rate", 24},
    {"scale_consistency", 1},
    {"polyphony", 1},
    {"polyphony_rate", 1},
    {"empty_beat_rate", 1},
    {"drum_in_pattern_rate", 2},
    {"drum_pattern_consistency", 1},
    {"groove_consistency", 1},
};

}  // namespace

std::string_view feature_name(Feature f) {
  return kInfo[static_cast<size_t>(f)].name;
}
size_t feature_size(Feature f) {
  return kInfo[static_cast<size_t>(f)].size;
}
bool per_bar(Feature f) {
  return kInfo[static_cast<size_t>(f)].per_bar;
}
Feature feature_at(size_t index) {
  return static_cast<Feature>(index);
}

std::vector<double> piece_summary(Feature f, const std::vector<double>& values) {
  if (!per_bar(f)) return values;
  const size_t width = feature_size(f);
  const size_t bars = values.size() / width;
  std::vector<double> mean(width, bars == 0 ? std::numeric_limits<double>::quiet_NaN() : 0.0);
  for (size_t b = 0; b < bars; ++b) {
    for (size_t i = 0; i < width; ++i) mean[i] += values[b * width + i] / static_cast<double>(bars);
  }
  return mean;
}

PieceFeatures piece_features(const notes::NoteSequence& seq) {
  PieceFeatures p;
  auto set = [&](Feature f, std::vector<double> v) {
    p.values[static_cast<size_t>(f)] = std::move(v);
  };
  set(Feature::TotalUsedPitch, {total_used_pitch(seq)});
  set(Feature::TotalUsedNote, {total_used_note(seq)});
  set(Feature::BarUsedPitch, bar_used_pitch(seq));
  set(Feature::BarUsedNote, bar_used_note(seq));
  set(Feature::PitchClassHistogram, pitch_class_histogram(seq));
  set(Feature::BarPitchClassHistogram, bar_pitch_class_histogram(seq));
  set(Feature::PitchClassTransitionMatrix, pitch_class_transition_matrix(seq));
  set(Feature::PitchRange, {pitch_range(seq)});
  set(Feature::AvgPitchShift, {avg_pitch_shift(seq)});
  set(Feature::AvgIoi, {avg_ioi(seq)});
  set(Feature::NoteLengthHistogram, note_length_histogram(seq));
  set(Feature::NoteLengthTransitionMatrix, note_length_transition_matrix(seq));
  set(Feature::NPitchClassesUsed, {n_pitch_classes_used(seq)});
  set(Feature::PitchEntropy, {pitch_entropy(seq)});
  set(Feature::PitchClassEntropy, {pitch_class_entropy(seq)});
  set(Feature::PitchInScaleRate, pitch_in_scale_rate(seq));
  set(Feature::ScaleConsistency, {scale_consistency(seq)});
  set(Feature::Polyphony, {polyphony(seq)});
  set(Feature::PolyphonyRate, {polyphony_rate(seq)});
  set(Feature::EmptyBeatRate, {empty_beat_rate(seq)});
  set(Feature::DrumInPatternRate, drum_in_pattern_rate(seq));
  set(Feature::DrumPatternConsistency, {drum_pattern_consistency(seq)});
  set(Feature::GrooveConsistency, {groove_consistency(seq)});
  return p;
}

}  // namespace tb::metrics::statistics
