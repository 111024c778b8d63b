#pragma once
// Per-piece pitch and rhythm features of a NoteSequence, as two public references define them:
//   mgeval (Yang & Lerch 2018, "On the evaluation of generative models in music",
//   github.com/RichardYang40148/mgeval, mgeval/core.py) and MusPy (Dong et al. 2020,
//   muspy/metrics/metrics.py). Choices where the sources are loose or disagree:
//   - Drum notes (channel 9) are left out of every pitch feature (MusPy's is_drum); mgeval reads
//     only the first instrument or MIDI track, here every track counts.
//   - mgeval's piano-roll features (pitch class histogram) weigh each note by velocity times its
//     duration in seconds (the roll at 100 frames/s, without the frame rounding).
//   - pitch_class_transition_matrix is pretty_midi's: per track, every ordered pair of notes
//     (i, j) with |end_i - start_j| < 0.05 s counts pc_i -> pc_j; divided by the total
//     (mgeval normalize=2). note_length_transition_matrix: consecutive notes of a track, also
//     divided by the total.
//   - avg_pitch_shift: mean |interval| between consecutive notes of a track (onset order),
//     pooled over tracks; avg_ioi: mean difference of the sorted onsets of all notes, in
//     SECONDS through the tempo map (pretty_midi get_onsets, chord notes give 0 intervals).
//   - note length classes (mgeval): bar = numerator * 4 / denominator quarters of the time
//     signature at the note's onset (4/4 when none); unit = bar / 96; a duration goes to the
//     nearest of {96, 48, 24, 12, 6, 72, 36, 18, 9, 32, 16, 8} units (the first on a tie).
//     mgeval's own code reads time_sig[track_num] (the denominator's exponent) as the
//     numerator, a bug not reproduced.
//   - MusPy's time step is one tick; its resolution is ticks_per_quarter; groove_consistency's
//     measure resolution is the first time signature's bar in ticks (4/4 when none).
//   Undefined values (no notes, a single onset, fewer than two measures) are NaN, as in MusPy.
#include <array>
#include <cstddef>
#include <string_view>
#include <vector>

#include "metrics/notes/note_event.hpp"

namespace tb::metrics::statistics {

enum class Feature {
  TotalUsedPitch,              // mgeval: number of distinct pitches
  PitchClassHistogram,         // mgeval: 12, duration x velocity weighted, sums to 1
  PitchClassTransitionMatrix,  // mgeval: 144 (row-major from -> to), sums to 1
  PitchRange,                  // mgeval / MusPy: highest - lowest pitch
  AvgPitchShift,               // mgeval: semitones
  AvgIoi,                      // mgeval: seconds
  NoteLengthHistogram,         // mgeval: 12 classes, sums to 1
  NoteLengthTransitionMatrix,  // mgeval: 144, sums to 1
  PitchEntropy,                // MusPy: bits
  PitchClassEntropy,           // MusPy: bits
  ScaleConsistency,            // MusPy: best in-scale rate over 24 major/minor scales
  Polyphony,                   // MusPy: mean pitches on at ticks where any is on
  EmptyBeatRate,               // MusPy
  GrooveConsistency,           // MusPy
};
inline constexpr size_t kFeatureCount = 14;

std::string_view feature_name(Feature f);  // "total_used_pitch", ... (the sources' names)
size_t feature_size(Feature f);            // 1, 12 or 144
Feature feature_at(size_t index);

struct PieceFeatures {
  std::array<std::vector<double>, kFeatureCount> values;
  const std::vector<double>& operator[](Feature f) const { return values[static_cast<size_t>(f)]; }
};

PieceFeatures piece_features(const notes::NoteSequence& seq);

// The single features (exposed for tests).
double total_used_pitch(const notes::NoteSequence& seq);
std::vector<double> pitch_class_histogram(const notes::NoteSequence& seq);
std::vector<double> pitch_class_transition_matrix(const notes::NoteSequence& seq);
double pitch_range(const notes::NoteSequence& seq);
double avg_pitch_shift(const notes::NoteSequence& seq);
double avg_ioi(const notes::NoteSequence& seq);
int note_length_class(int64_t duration, int64_t ticks_per_quarter, const notes::TimeSignature& sig);
std::vector<double> note_length_histogram(const notes::NoteSequence& seq);
std::vector<double> note_length_transition_matrix(const notes::NoteSequence& seq);
double pitch_entropy(const notes::NoteSequence& seq);
double pitch_class_entropy(const notes::NoteSequence& seq);
double scale_consistency(const notes::NoteSequence& seq);
double polyphony(const notes::NoteSequence& seq);
double empty_beat_rate(const notes::NoteSequence& seq);
double groove_consistency(const notes::NoteSequence& seq);

}  // namespace tb::metrics::statistics
