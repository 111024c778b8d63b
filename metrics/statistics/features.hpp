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
//     measure resolution is the first time signature's bar in ticks (4/4 when none). Its song
//     length (empty_beat_rate, polyphony_rate, groove_consistency) is the last note's end;
//     muspy.read_midi also counts a control change after it (kept as an annotation), which a
//     NoteSequence does not carry (the goldens drop those annotations, tools/metrics_golden.py).
//   - mgeval's per-bar features (bar_used_pitch, bar_used_note, bar_pitch_class_histogram):
//     bars of the first time signature in ticks, as many as hold the last pitched note's end
//     (mgeval rounds the track length to whole bars and drops notes past them); a note counts
//     in the bar of its onset, the histogram weighs each bar's part of a note. At most
//     kMaxFeatureBars bars are measured: a generated piece whose one gap spans 10^8 bars would
//     otherwise cost gigabytes; notes past the limit do not count in the per-bar features.
//   - MusPy's pitch_in_scale_rate(root, mode) and drum_in_pattern_rate(meter) take arguments:
//     here every argument's value is kept, as a 24- and a 2-vector.
//   Undefined values (no notes, a single onset, fewer than two measures) are NaN, as in MusPy.
#include <array>
#include <cstddef>
#include <string_view>
#include <vector>

#include "metrics/notes/note_event.hpp"

namespace tb::metrics::statistics {

enum class Feature {
  TotalUsedPitch,              // mgeval (= MusPy n_pitches_used): number of distinct pitches
  TotalUsedNote,               // mgeval: number of notes
  BarUsedPitch,                // mgeval: distinct pitches per bar
  BarUsedNote,                 // mgeval: notes per bar
  PitchClassHistogram,         // mgeval: 12, duration x velocity weighted, sums to 1
  BarPitchClassHistogram,      // mgeval: 12 per bar, each bar sums to 1 (0 when silent)
  PitchClassTransitionMatrix,  // mgeval: 144 (row-major from -> to), sums to 1
  PitchRange,                  // mgeval / MusPy: highest - lowest pitch
  AvgPitchShift,               // mgeval: semitones
  AvgIoi,                      // mgeval: seconds
  NoteLengthHistogram,         // mgeval: 12 classes, sums to 1
  NoteLengthTransitionMatrix,  // mgeval: 144, sums to 1
  NPitchClassesUsed,           // MusPy
  PitchEntropy,                // MusPy: bits
  PitchClassEntropy,           // MusPy: bits
  PitchInScaleRate,            // MusPy: 24, major scales on C..B then minor scales on C..B
  ScaleConsistency,            // MusPy: best in-scale rate over 24 major/minor scales
  Polyphony,                   // MusPy: mean pitches on at ticks where any is on
  PolyphonyRate,               // MusPy: share of ticks with more than 2 pitches on
  EmptyBeatRate,               // MusPy
  DrumInPatternRate,           // MusPy: 2, duple then triple
  DrumPatternConsistency,      // MusPy
  GrooveConsistency,           // MusPy
};
inline constexpr size_t kFeatureCount = 23;
inline constexpr int kPolyphonyThreshold = 2;  // MusPy polyphony_rate's default

std::string_view feature_name(Feature f);  // "total_used_pitch", ... (the sources' names)
// Values per piece (1, 2, 12, 24 or 144), or per bar for the per-bar features.
size_t feature_size(Feature f);
bool per_bar(Feature f);
Feature feature_at(size_t index);

// The value that stands for a piece in aggregates and set comparisons: the feature itself, or
// for a per-bar feature its mean over the piece's bars (feature_size values). NaN-filled when
// the piece has no bars.
std::vector<double> piece_summary(Feature f, const std::vector<double>& values);

struct PieceFeatures {
  std::array<std::vector<double>, kFeatureCount> values;
  const std::vector<double>& operator[](Feature f) const { return values[static_cast<size_t>(f)]; }
};

PieceFeatures piece_features(const notes::NoteSequence& seq);

// Per-bar features cover at most this many bars (over 2 days of 4/4 at 120 quarters a minute).
inline constexpr size_t kMaxFeatureBars = 100000;

// The single features (exposed for tests).
double total_used_pitch(const notes::NoteSequence& seq);
double total_used_note(const notes::NoteSequence& seq);
std::vector<double> bar_used_pitch(const notes::NoteSequence& seq);
std::vector<double> bar_used_note(const notes::NoteSequence& seq);
std::vector<double> pitch_class_histogram(const notes::NoteSequence& seq);
// `work`, when given, receives the steps taken: O(notes + bars), however long the notes are held.
std::vector<double> bar_pitch_class_histogram(const notes::NoteSequence& seq,
                                              size_t* work = nullptr);
// `work`, when given, receives the number of onset comparisons made (n log n in the notes).
std::vector<double> pitch_class_transition_matrix(const notes::NoteSequence& seq,
                                                  size_t* work = nullptr);
double pitch_range(const notes::NoteSequence& seq);
double avg_pitch_shift(const notes::NoteSequence& seq);
double avg_ioi(const notes::NoteSequence& seq);
int note_length_class(int64_t duration, int64_t ticks_per_quarter, const notes::TimeSignature& sig);
std::vector<double> note_length_histogram(const notes::NoteSequence& seq);
std::vector<double> note_length_transition_matrix(const notes::NoteSequence& seq);
double n_pitch_classes_used(const notes::NoteSequence& seq);
double pitch_entropy(const notes::NoteSequence& seq);
double pitch_class_entropy(const notes::NoteSequence& seq);
std::vector<double> pitch_in_scale_rate(const notes::NoteSequence& seq);
double scale_consistency(const notes::NoteSequence& seq);
double polyphony(const notes::NoteSequence& seq);
double polyphony_rate(const notes::NoteSequence& seq);
double empty_beat_rate(const notes::NoteSequence& seq);
std::vector<double> drum_in_pattern_rate(const notes::NoteSequence& seq);
double drum_pattern_consistency(const notes::NoteSequence& seq);
double groove_consistency(const notes::NoteSequence& seq);

}  // namespace tb::metrics::statistics
