// The feature list (names as mgeval and MusPy spell them) and the per-piece bundle.
#include "metrics/statistics/features.hpp"

namespace tb::metrics::statistics {
namespace {

struct Info {
  std::string_view name;
  size_t size;
};
constexpr Info kInfo[kFeatureCount] = {
    {"total_used_pitch", 1},
    {"total_pitch_class_histogram", 12},
    {"pitch_class_transition_matrix", 144},
    {"pitch_range", 1},
    {"avg_pitch_shift", 1},
    {"avg_IOI", 1},
    {"note_length_hist", 12},
    {"note_length_transition_matrix", 144},
    {"pitch_entropy", 1},
    {"pitch_class_entropy", 1},
    {"scale_consistency", 1},
    {"polyphony", 1},
    {"empty_beat_rate", 1},
    {"groove_consistency", 1},
};

}  // namespace

std::string_view feature_name(Feature f) {
  return kInfo[static_cast<size_t>(f)].name;
}
size_t feature_size(Feature f) {
  return kInfo[static_cast<size_t>(f)].size;
}
Feature feature_at(size_t index) {
  return static_cast<Feature>(index);
}

PieceFeatures piece_features(const notes::NoteSequence& seq) {
  PieceFeatures p;
  auto set = [&](Feature f, std::vector<double> v) {
    p.values[static_cast<size_t>(f)] = std::move(v);
  };
  set(Feature::TotalUsedPitch, {total_used_pitch(seq)});
  set(Feature::PitchClassHistogram, pitch_class_histogram(seq));
  set(Feature::PitchClassTransitionMatrix, pitch_class_transition_matrix(seq));
  set(Feature::PitchRange, {pitch_range(seq)});
  set(Feature::AvgPitchShift, {avg_pitch_shift(seq)});
  set(Feature::AvgIoi, {avg_ioi(seq)});
  set(Feature::NoteLengthHistogram, note_length_histogram(seq));
  set(Feature::NoteLengthTransitionMatrix, note_length_transition_matrix(seq));
  set(Feature::PitchEntropy, {pitch_entropy(seq)});
  set(Feature::PitchClassEntropy, {pitch_class_entropy(seq)});
  set(Feature::ScaleConsistency, {scale_consistency(seq)});
  set(Feature::Polyphony, {polyphony(seq)});
  set(Feature::EmptyBeatRate, {empty_beat_rate(seq)});
  set(Feature::GrooveConsistency, {groove_consistency(seq)});
  return p;
}

}  // namespace tb::metrics::statistics
