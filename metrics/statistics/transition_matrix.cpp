// mgeval's pitch class transition matrix (pretty_midi get_pitch_class_transition_matrix,
// time_thresh = 0.05 s), counted without visiting the pairs: a chord of 10^6 notes has 10^12
// of them. Per track and pitch class the note ends and the onsets are sorted; the onsets within
// the threshold of an end form one run of the sorted onsets whose bounds only move forward as
// the end grows, so each (from, to) pitch class pair is one merge-like sweep: O(n log n) for
// the sorts and at most 24 n pointer steps in all.
#include <algorithm>
#include <array>
#include <cmath>

#include "metrics/statistics/features.hpp"
#include "metrics/statistics/note_helpers.hpp"
#include "metrics/statistics/tempo_map.hpp"

namespace tb::metrics::statistics {
namespace {

constexpr double kThreshold = 0.05;

// Pairs (end e, onset s) with |e - s| < kThreshold, as numpy computes abs(ends - starts). On
// each side of e, |e - s| is monotone in s in floating point too, so the run's bounds are exact.
double pairs_within(const std::vector<double>& ends, const std::vector<double>& starts,
                    size_t& work) {
  double pairs = 0;
  size_t lo = 0, hi = 0;
  for (double e : ends) {
    // lo: the first onset that is not too early; hi: the first one after the run.
    while (lo < starts.size() && starts[lo] < e && !(std::abs(e - starts[lo]) < kThreshold)) {
      ++lo, ++work;
    }
    hi = std::max(hi, lo);
    while (hi < starts.size() && (starts[hi] <= e || std::abs(e - starts[hi]) < kThreshold)) {
      ++hi, ++work;
    }
    ++work;
    pairs += static_cast<double>(hi - lo);
  }
  return pairs;
}

}  // namespace

std::vector<double> pitch_class_transition_matrix(const notes::NoteSequence& seq, size_t* work) {
  const TempoMap tempo(seq);
  std::vector<double> m(144, 0.0);
  size_t steps = 0;
  int tracks = 0;
  for (const auto& n : seq.notes) tracks = std::max(tracks, n.track + 1);
  std::vector<std::vector<const notes::NoteEvent*>> by_track(static_cast<size_t>(tracks));
  for (const auto& n : seq.notes) {
    if (detail::pitched(n) && n.track >= 0) by_track[static_cast<size_t>(n.track)].push_back(&n);
  }
  for (const auto& notes_of_track : by_track) {
    if (notes_of_track.size() <= 1) continue;  // pretty_midi: fewer than two notes give zeros
    std::array<std::vector<double>, 12> starts, ends;  // seconds, per pitch class
    for (const auto* n : notes_of_track) {
      const auto pc = static_cast<size_t>(detail::pitch_class(n->pitch));
      starts[pc].push_back(tempo.seconds(n->start));
      ends[pc].push_back(tempo.seconds(n->end()));
    }
    for (auto& s : starts) std::sort(s.begin(), s.end());
    for (auto& e : ends) std::sort(e.begin(), e.end());
    for (size_t from = 0; from < 12; ++from) {
      if (ends[from].empty()) continue;
      for (size_t to = 0; to < 12; ++to) {
        m[from * 12 + to] += pairs_within(ends[from], starts[to], steps);
      }
    }
  }
  if (work != nullptr) *work = steps;
  return detail::normalized(std::move(m));
}

}  // namespace tb::metrics::statistics
