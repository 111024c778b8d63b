// Statistics on small pieces worked out by hand (480 ticks per quarter, 120 quarters/minute).
#include <doctest/doctest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "metrics/statistics/features.hpp"
#include "metrics/statistics/kde.hpp"
#include "metrics/statistics/set_comparison.hpp"

namespace {

namespace st = tb::metrics::statistics;
using tb::notes::NoteEvent;
using tb::notes::NoteSequence;

NoteSequence sequence(const std::vector<NoteEvent>& notes) {
  NoteSequence s;
  s.ticks_per_quarter = 480;
  s.notes = notes;
  return s;
}

NoteEvent note(int pitch, int64_t start, int64_t duration, int track = 0) {
  NoteEvent n;
  n.pitch = pitch;
  n.velocity = 100;
  n.start = start;
  n.duration = duration;
  n.track = track;
  return n;
}

// C D E F G A B c in quarter notes.
NoteSequence c_major_scale() {
  std::vector<NoteEvent> notes;
  const int pitches[8] = {60, 62, 64, 65, 67, 69, 71, 72};
  for (int i = 0; i < 8; ++i) notes.push_back(note(pitches[i], 480 * i, 480));
  return sequence(notes);
}

}  // namespace

TEST_CASE("statistics: a C major scale") {
  const NoteSequence s = c_major_scale();
  CHECK(st::total_used_pitch(s) == 8);
  CHECK(st::pitch_range(s) == 12);
  CHECK(st::avg_pitch_shift(s) == doctest::Approx(12.0 / 7.0).epsilon(1e-12));
  CHECK(st::avg_ioi(s) == doctest::Approx(0.5).epsilon(1e-12));
  // Pitch classes C (twice) and six others once: 2/8 log 4 + 6/8 log 8 = 2.75 bits.
  CHECK(st::pitch_class_entropy(s) == doctest::Approx(2.75).epsilon(1e-12));
  CHECK(st::pitch_entropy(s) == doctest::Approx(3.0).epsilon(1e-12));
  CHECK(st::scale_consistency(s) == 1.0);
  const auto h = st::pitch_class_histogram(s);
  CHECK(h[0] == doctest::Approx(0.25).epsilon(1e-12));
  CHECK(h[2] == doctest::Approx(0.125).epsilon(1e-12));
  CHECK(h[1] == 0.0);
  // Each note ends where the next starts: C->D, D->E, E->F, F->G, G->A, A->B, B->C.
  const auto tm = st::pitch_class_transition_matrix(s);
  CHECK(tm[0 * 12 + 2] == doctest::Approx(1.0 / 7).epsilon(1e-12));
  CHECK(tm[11 * 12 + 0] == doctest::Approx(1.0 / 7).epsilon(1e-12));
  CHECK(tm[2 * 12 + 0] == 0.0);
  // Quarters are class 2 of mgeval's list.
  const auto lh = st::note_length_histogram(s);
  CHECK(lh[2] == 1.0);
  CHECK(st::note_length_transition_matrix(s)[2 * 12 + 2] == 1.0);
  CHECK(st::polyphony(s) == 1.0);
  // 9 beats (length 3840 // 480 + 1), each touched by a note.
  CHECK(st::empty_beat_rate(s) == 0.0);
  // Measures 0 and 1 have onsets {0, 480, 960, 1440}, measure 2 none: Hamming 0 + 4.
  CHECK(st::groove_consistency(s) == doctest::Approx(1.0 - 4.0 / (1920.0 * 2)).epsilon(1e-12));
}

TEST_CASE("statistics: chords, gaps, note length classes, empty pieces") {
  // C E G for a half note, then C for a quarter: (3 * 960 + 480) / 1440 pitches per step.
  const NoteSequence chord =
      sequence({note(60, 0, 960), note(64, 0, 960), note(67, 0, 960), note(60, 960, 480)});
  CHECK(st::polyphony(chord) == doctest::Approx(3360.0 / 1440).epsilon(1e-12));
  // Onsets 0 0 0 960 (1 s at 120 qpm): mean difference 1 / 3 s.
  CHECK(st::avg_ioi(chord) == doctest::Approx(1.0 / 3).epsilon(1e-12));
  // Notes at beats 0-1 and 4-5 of 6 beats (a note marks the beat its end falls in too).
  const NoteSequence gaps = sequence({note(60, 0, 480), note(62, 1920, 480)});
  CHECK(st::empty_beat_rate(gaps) == doctest::Approx(2.0 / 6).epsilon(1e-12));
  // 60 ms between the notes is beyond pretty_midi's 50 ms: no transition (matrix undefined).
  NoteSequence apart = sequence({note(60, 0, 480), note(62, 480 + 58, 480)});
  CHECK(std::isnan(st::pitch_class_transition_matrix(apart)[0]));
  // Classes: dotted quarter 720 -> 6 (36 units of 20 ticks), eighth triplet 160 -> 11,
  // whole 1920 -> 0; in 3/4 a bar is 1440 ticks and a whole note 1920 is nearest 72 units (5).
  tb::notes::TimeSignature four{0, 4, 4}, three{0, 3, 4};
  CHECK(st::note_length_class(720, 480, four) == 6);
  CHECK(st::note_length_class(160, 480, four) == 11);
  CHECK(st::note_length_class(1920, 480, four) == 0);
  CHECK(st::note_length_class(1440, 480, three) == 0);
  CHECK(st::note_length_class(1080, 480, three) == 5);
  // Halfway between a half (2048) and a dotted half (3072) at 1024 per quarter: the first.
  CHECK(st::note_length_class(2560, 1024, four) == 1);
  // Tempo: 1 s per quarter doubles the inter-onset interval in seconds.
  NoteSequence slow = c_major_scale();
  slow.tempos.push_back({0, 1000000});
  CHECK(st::avg_ioi(slow) == doctest::Approx(1.0).epsilon(1e-12));
  // Nothing to measure.
  const NoteSequence empty = sequence({});
  CHECK(std::isnan(st::pitch_entropy(empty)));
  CHECK(std::isnan(st::scale_consistency(empty)));
  CHECK(std::isnan(st::polyphony(empty)));
  CHECK(std::isnan(st::empty_beat_rate(empty)));
  CHECK(st::pitch_range(empty) == 0);
  // A chromatic run: the best scale holds 7 of 12 pitch classes.
  std::vector<NoteEvent> chromatic;
  for (int p = 0; p < 12; ++p) chromatic.push_back(note(60 + p, 480 * p, 480));
  CHECK(st::scale_consistency(sequence(chromatic)) == doctest::Approx(7.0 / 12).epsilon(1e-12));
}

TEST_CASE("statistics: Gaussian KDE with Scott's bandwidth") {
  const std::vector<double> data = {0.0, 1.0};
  const st::GaussianKde kde(data);
  REQUIRE(kde.valid());
  // var(ddof=1) = 0.5, factor 2^(-1/5): kernel variance 0.5 * 2^(-2/5).
  const double v = 0.5 * std::pow(2.0, -0.4);
  CHECK(kde.variance() == doctest::Approx(v).epsilon(1e-14));
  const double expected =
      (1.0 + std::exp(-1.0 / (2 * v))) / (2 * std::sqrt(2 * std::numbers::pi * v));
  CHECK(kde(0.0) == doctest::Approx(expected).epsilon(1e-14));
  CHECK(kde(1.0) == doctest::Approx(expected).epsilon(1e-14));
  // One value, or all equal: scipy cannot estimate.
  CHECK_FALSE(st::GaussianKde(std::vector<double>{1.0}).valid());
  CHECK_FALSE(st::GaussianKde(std::vector<double>{2.0, 2.0, 2.0}).valid());
  // A distribution against itself: KL 0.
  const std::vector<double> a = {0.1, 0.5, 0.7, 1.3, 2.0};
  CHECK(st::kl_divergence(a, a) == doctest::Approx(0.0).epsilon(1e-15));
  CHECK(st::overlap_area(a, a) < 1.0);
  CHECK(st::overlap_area(a, a) > 0.5);
}

TEST_CASE("statistics: intra and inter set distances, subsampling") {
  const std::vector<std::vector<double>> a = {{0.0}, {3.0}};
  const std::vector<std::vector<double>> b = {{4.0}};
  CHECK(st::intra_set_distances(a) == std::vector<double>{3.0, 3.0});
  CHECK(st::inter_set_distances(a, b) == std::vector<double>{4.0, 1.0});
  const std::vector<std::vector<double>> v = {{0.0, 0.0}, {3.0, 4.0}};
  CHECK(st::intra_set_distances(v) == std::vector<double>{5.0, 5.0});
  CHECK(st::subsample(5, 10) == std::vector<size_t>{0, 1, 2, 3, 4});
  CHECK(st::subsample(10, 4) == std::vector<size_t>{0, 2, 5, 7});
}
