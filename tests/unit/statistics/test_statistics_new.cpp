// The MusPy metrics and mgeval features added to metrics/statistics, worked out by hand
// (480 ticks per quarter, 120 quarters per minute), the pitch class transition matrix's work on
// 10^6 simultaneous notes, summaries as numpy computes them, and why KL/OA can be undefined.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include "metrics/statistics/features.hpp"
#include "metrics/statistics/set_comparison.hpp"
#include "metrics/statistics/summary.hpp"

namespace {

namespace st = tb::metrics::statistics;
using tb::notes::NoteEvent;
using tb::notes::NoteSequence;

NoteEvent note(int pitch, int64_t start, int64_t duration, int channel = 0, int track = 0) {
  NoteEvent n;
  n.pitch = pitch;
  n.velocity = 100;
  n.start = start;
  n.duration = duration;
  n.channel = channel;
  n.track = track;
  return n;
}

NoteSequence sequence(std::vector<NoteEvent> notes) {
  NoteSequence s;
  s.ticks_per_quarter = 480;
  s.notes = std::move(notes);
  return s;
}

NoteSequence c_major_scale() {
  std::vector<NoteEvent> notes;
  const int pitches[8] = {60, 62, 64, 65, 67, 69, 71, 72};
  for (int i = 0; i < 8; ++i) notes.push_back(note(pitches[i], 480 * i, 480));
  return sequence(notes);
}

// pretty_midi's definition, pair by pair: |end_i - start_j| < 0.05 s within a track.
std::vector<double> brute_force_transitions(const NoteSequence& s) {
  std::vector<double> m(144, 0.0);
  double total = 0;
  for (const auto& a : s.notes) {
    for (const auto& b : s.notes) {
      if (a.track != b.track || a.channel == 9 || b.channel == 9) continue;
      const double end = static_cast<double>(a.end()) * 0.5 / 480.0;
      const double start = static_cast<double>(b.start) * 0.5 / 480.0;
      if (std::abs(end - start) < 0.05) m[(a.pitch % 12) * 12 + b.pitch % 12] += 1, total += 1;
    }
  }
  for (double& x : m) x = total > 0 ? x / total : NAN;
  return m;
}

}  // namespace

TEST_CASE("statistics: MusPy pitch counts and scale rates of a C major scale") {
  const NoteSequence s = c_major_scale();
  CHECK(st::n_pitch_classes_used(s) == 7);
  CHECK(st::total_used_note(s) == 8);
  const auto rates = st::pitch_in_scale_rate(s);
  REQUIRE(rates.size() == 24);
  CHECK(rates[0] == 1.0);                          // C major
  CHECK(rates[12 + 9] == 1.0);                     // A minor
  CHECK(rates[12] == doctest::Approx(5.0 / 8.0));  // C minor: C D F G c of 8
  CHECK(rates[7] == doctest::Approx(7.0 / 8.0));   // G major: all but F
  CHECK(st::scale_consistency(s) == 1.0);
  CHECK(std::isnan(st::pitch_in_scale_rate(sequence({}))[3]));
  CHECK(std::isnan(st::scale_consistency(sequence({}))));
}

TEST_CASE("statistics: polyphony rate counts ticks with more than two pitches") {
  // C and E for a half note, G joins for the second quarter: 480 of 960 ticks have 3 pitches.
  const NoteSequence s = sequence({note(60, 0, 960), note(64, 0, 960), note(67, 480, 480)});
  CHECK(st::polyphony_rate(s) == doctest::Approx(0.5));
  // Two pitches are not "more than 2" (MusPy's threshold is exclusive).
  CHECK(st::polyphony_rate(sequence({note(60, 0, 960), note(64, 0, 960)})) == 0.0);
  // The same pitch twice at once is one pitch on the binary piano roll.
  CHECK(st::polyphony_rate(sequence({note(60, 0, 960), note(60, 0, 960), note(64, 0, 960)})) ==
        0.0);
  // A drum-only tail lengthens the piece (MusPy takes the length over all tracks).
  const NoteSequence tail =
      sequence({note(60, 0, 960), note(64, 0, 960), note(67, 0, 960), note(36, 960, 960, 9)});
  CHECK(st::polyphony_rate(tail) == doctest::Approx(0.5));
  CHECK(std::isnan(st::polyphony_rate(sequence({}))));
}

TEST_CASE("statistics: drum-in-pattern rates on duple and triple grids") {
  // Onsets at 0, 120, 160, 240 ticks of a 480-tick beat: duple grid every 120, triple every 160.
  const NoteSequence s = sequence({note(36, 0, 10, 9), note(38, 120, 10, 9), note(42, 160, 10, 9),
                                   note(36, 480 + 240, 10, 9), note(60, 50, 10)});
  const auto r = st::drum_in_pattern_rate(s);
  REQUIRE(r.size() == 2);
  CHECK(r[0] == doctest::Approx(0.75));
  CHECK(r[1] == doctest::Approx(0.5));
  CHECK(st::drum_pattern_consistency(s) == doctest::Approx(0.75));
  // No drums: undefined.
  CHECK(std::isnan(st::drum_pattern_consistency(c_major_scale())));
  CHECK(std::isnan(st::drum_in_pattern_rate(c_major_scale())[1]));
}

TEST_CASE("statistics: mgeval per-bar note and pitch counts and pitch class histograms") {
  // 4/4 at 480 ticks per quarter: 1920-tick bars; the scale fills two bars.
  const NoteSequence s = c_major_scale();
  CHECK(st::bar_used_note(s) == std::vector<double>{4, 4});
  CHECK(st::bar_used_pitch(s) == std::vector<double>{4, 4});
  const auto h = st::bar_pitch_class_histogram(s);
  REQUIRE(h.size() == 24);
  CHECK(h[0] == doctest::Approx(0.25));  // bar 1: C D E F, a quarter each
  CHECK(h[5] == doctest::Approx(0.25));
  CHECK(h[12 + 0] == doctest::Approx(0.25));  // bar 2: G A B c
  CHECK(h[12 + 11] == doctest::Approx(0.25));
  CHECK(h[12 + 5] == 0.0);
  // A note held across the bar line counts in both bars' histograms, in its onset bar's counts;
  // the silent bar between is zeros.
  const NoteSequence held =
      sequence({note(60, 960, 1920), note(64, 1920, 480), note(67, 3 * 1920, 480)});
  CHECK(st::bar_used_note(held) == std::vector<double>{1, 1, 0, 1});
  CHECK(st::bar_used_pitch(held) == std::vector<double>{1, 1, 0, 1});
  const auto hh = st::bar_pitch_class_histogram(held);
  REQUIRE(hh.size() == 48);
  CHECK(hh[0] == 1.0);                              // bar 1: C only
  CHECK(hh[12 + 0] == doctest::Approx(2.0 / 3.0));  // bar 2: C 960 ticks, E 480
  CHECK(hh[12 + 4] == doctest::Approx(1.0 / 3.0));
  for (int pc = 0; pc < 12; ++pc) CHECK(hh[24 + pc] == 0.0);
  CHECK(hh[36 + 7] == 1.0);
  // 3/4: 1440-tick bars.
  NoteSequence waltz = c_major_scale();
  waltz.time_signatures.push_back({0, 3, 4});
  CHECK(st::bar_used_note(waltz) == std::vector<double>{3, 3, 2});
  // The per-piece summary of a per-bar feature is its mean over bars.
  CHECK(st::piece_summary(st::Feature::BarUsedNote, st::bar_used_note(waltz)) ==
        std::vector<double>{8.0 / 3.0});
  CHECK(std::isnan(st::piece_summary(st::Feature::BarUsedNote, {})[0]));
  CHECK(st::bar_used_note(sequence({})).empty());
  // A gap of 8.4e10 ticks (found by fuzz_pvdt: 2 GB of per-bar sets) is measured over the first
  // kMaxFeatureBars bars; the note past them does not count.
  const NoteSequence gap = sequence({note(60, 0, 480), note(64, 84484484480, 480)});
  const auto used = st::bar_used_note(gap);
  REQUIRE(used.size() == st::kMaxFeatureBars);
  CHECK(used[0] == 1);
  CHECK(std::accumulate(used.begin(), used.end(), 0.0) == 1);
  CHECK(st::bar_used_pitch(gap).size() == st::kMaxFeatureBars);
  CHECK(st::bar_pitch_class_histogram(gap).size() == 12 * st::kMaxFeatureBars);
}

// Issue 31: the bar-by-bar definition the sweep replaced (every bar of every note).
std::vector<double> brute_bar_histogram(const NoteSequence& seq, size_t bars, int64_t bar_ticks) {
  const double seconds_per_tick = 0.5 / static_cast<double>(seq.ticks_per_quarter);  // 120 bpm
  std::vector<double> out(bars * 12, 0.0);
  for (const auto& n : seq.notes) {
    if (n.duration <= 0) continue;
    for (size_t bar = static_cast<size_t>(n.start / bar_ticks); bar < bars; ++bar) {
      const int64_t bar_start = static_cast<int64_t>(bar) * bar_ticks;
      if (bar_start >= n.end()) break;
      const int64_t from = std::max(n.start, bar_start);
      const int64_t to = std::min(n.end(), bar_start + bar_ticks);
      out[bar * 12 + static_cast<size_t>(n.pitch % 12)] +=
          n.velocity * static_cast<double>(to - from) * seconds_per_tick;
    }
  }
  for (size_t bar = 0; bar < bars; ++bar) {
    double total = 0;
    for (size_t pc = 0; pc < 12; ++pc) total += out[bar * 12 + pc];
    for (size_t pc = 0; pc < 12 && total > 0; ++pc) out[bar * 12 + pc] /= total;
  }
  return out;
}

TEST_CASE("statistics: per-bar pitch class histograms are linear in notes + bars") {
  std::mt19937 rng(31);
  for (int trial = 0; trial < 40; ++trial) {
    std::vector<NoteEvent> notes;
    const int n = 1 + static_cast<int>(rng() % 30);
    for (int i = 0; i < n; ++i) {
      notes.push_back(note(40 + static_cast<int>(rng() % 40), static_cast<int64_t>(rng() % 20000),
                           static_cast<int64_t>(rng() % 9000)));
      notes.back().velocity = 1 + static_cast<int>(rng() % 127);
    }
    const NoteSequence s = sequence(notes);
    const auto fast = st::bar_pitch_class_histogram(s);
    const auto slow = brute_bar_histogram(s, fast.size() / 12, 1920);
    REQUIRE(fast.size() == slow.size());
    for (size_t i = 0; i < fast.size(); ++i)
      CHECK(fast[i] == doctest::Approx(slow[i]).epsilon(1e-9));
  }
  // 100k notes each held for 10^4 bars took 87 CPU s (10^9 bar visits): the work is counted at
  // n notes held n bars and at 10n held 10n bars.
  auto held = [](size_t n) {
    std::vector<NoteEvent> notes;
    for (size_t i = 0; i < n; ++i)
      notes.push_back(note(21 + static_cast<int>(i % 88), static_cast<int64_t>(i),
                           static_cast<int64_t>(n) * 1920));
    return sequence(notes);
  };
  size_t small = 0, large = 0;
  st::bar_pitch_class_histogram(held(300), &small);
  st::bar_pitch_class_histogram(held(3000), &large);
  CHECK(small > 0);
  CHECK(large <= 12 * small);  // notes x bars: 100x
}

TEST_CASE("statistics: pitch class transitions equal the pair-by-pair count") {
  std::mt19937 rng(5);
  for (int trial = 0; trial < 30; ++trial) {
    std::vector<NoteEvent> notes;
    const int n = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      // Onsets on a coarse grid so that ends often meet onsets, some within 0.05 s (48 ticks).
      notes.push_back(note(48 + static_cast<int>(rng() % 24), 40 * static_cast<int64_t>(rng() % 30),
                           40 * static_cast<int64_t>(rng() % 6), rng() % 7 == 0 ? 9 : 0,
                           static_cast<int>(rng() % 2)));
    }
    const NoteSequence s = sequence(notes);
    const auto fast = st::pitch_class_transition_matrix(s);
    const auto slow = brute_force_transitions(s);
    bool all_tracks_small = true;  // pretty_midi: a track of one note contributes nothing
    for (int t = 0; t < 2; ++t) {
      int count = 0;
      for (const auto& x : notes) count += x.track == t && x.channel != 9 ? 1 : 0;
      all_tracks_small = all_tracks_small && count != 1;
    }
    if (!all_tracks_small) continue;
    for (size_t i = 0; i < 144; ++i) {
      if (std::isnan(slow[i])) {
        CHECK(std::isnan(fast[i]));
      } else {
        CHECK(fast[i] == doctest::Approx(slow[i]).epsilon(1e-12));
      }
    }
  }
}

TEST_CASE("statistics: the transition matrix of 10^6 simultaneous notes is not quadratic") {
  // Every note starts and ends at tick 0, so every ordered pair (10^12) is a transition.
  auto chord = [](size_t n) {
    std::vector<NoteEvent> notes;
    notes.reserve(n);
    for (size_t i = 0; i < n; ++i) notes.push_back(note(60 + static_cast<int>(i % 12), 0, 0));
    return sequence(std::move(notes));
  };
  size_t work_small = 0, work_large = 0, work_huge = 0;
  st::pitch_class_transition_matrix(chord(10000), &work_small);
  st::pitch_class_transition_matrix(chord(100000), &work_large);
  const size_t n = 1000000;
  const auto m = st::pitch_class_transition_matrix(chord(n), &work_huge);
  MESSAGE("work for 1e4, 1e5, 1e6 notes: " << work_small << ", " << work_large << ", "
                                           << work_huge);
  CHECK(work_large <= 11 * work_small);  // linear after the sorts: 10x notes, ~10x work
  CHECK(work_huge <= 11 * work_large);
  CHECK(work_huge <= 40 * n);
  // Pitch class counts n_a n_b over n^2: 1e6 = 12 * 83333 + 4 (classes 0..3 have one more).
  auto count = [&](size_t pc) { return static_cast<double>(n / 12 + (pc < n % 12 ? 1 : 0)); };
  const double total = static_cast<double>(n) * static_cast<double>(n);
  CHECK(m[0 * 12 + 1] == doctest::Approx(count(0) * count(1) / total).epsilon(1e-12));
  CHECK(m[11 * 12 + 5] == doctest::Approx(count(11) * count(5) / total).epsilon(1e-12));
}

TEST_CASE("statistics: summaries as numpy (ddof=1 std, linear percentiles)") {
  const std::vector<double> v = {4, 1, NAN, 3, 2, 10};
  const st::Summary s = st::summarize(v);
  CHECK(s.n == 5);
  CHECK(s.mean == doctest::Approx(4.0));
  // numpy.std([1,2,3,4,10], ddof=1) = sqrt(50 / 4)
  CHECK(s.std == doctest::Approx(std::sqrt(12.5)));
  CHECK(s.median == 3.0);
  CHECK(s.q1 == 2.0);  // numpy.percentile([1,2,3,4,10], 25)
  CHECK(s.q3 == 4.0);
  const st::Summary even = st::summarize(std::vector<double>{1, 2, 3, 4});
  CHECK(even.median == 2.5);
  CHECK(even.q1 == doctest::Approx(1.75));
  CHECK(even.q3 == doctest::Approx(3.25));
  const st::Summary one = st::summarize(std::vector<double>{7});
  CHECK(one.median == 7.0);
  CHECK(std::isnan(one.std));
  CHECK(std::isnan(st::summarize(std::vector<double>{NAN}).mean));
}

TEST_CASE("statistics: KL and OA undefined cases say why") {
  // Monophonic pieces all have polyphony 1: the intra-set distances are all 0.
  std::vector<st::PieceFeatures> mono, other;
  for (int i = 0; i < 4; ++i) {
    mono.push_back(
        st::piece_features(sequence({note(60 + i, 0, 480), note(62, 480, 480 * i + 1)})));
    other.push_back(st::piece_features(
        sequence({note(60, 0, 480), note(64 + i, 0, 480 + 120 * i), note(67, 0, 480)})));
  }
  const st::FeatureComparison c = st::compare_feature(st::Feature::Polyphony, mono, other);
  CHECK(std::isnan(c.kl));
  CHECK(std::isnan(c.overlap));
  CHECK(c.undefined.find("intra-set distances of polyphony all equal 0") != std::string::npos);
  const st::FeatureComparison one =
      st::compare_feature(st::Feature::PitchRange, std::span(mono).first(1), other);
  CHECK(one.undefined.find("1 generated piece(s) define pitch_range") != std::string::npos);
  const st::FeatureComparison drums =
      st::compare_feature(st::Feature::DrumPatternConsistency, mono, other);
  CHECK(drums.undefined.find("0 generated piece(s)") != std::string::npos);
  const st::FeatureComparison fine = st::compare_feature(st::Feature::PitchRange, mono, other);
  CHECK(fine.undefined.empty());
}
