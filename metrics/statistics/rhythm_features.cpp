// Rhythm features: mgeval's inter-onset interval and note length classes; MusPy's polyphony,
// empty-beat rate and groove consistency (time step = one tick). See features.hpp.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "metrics/statistics/features.hpp"
#include "metrics/statistics/note_helpers.hpp"
#include "metrics/statistics/tempo_map.hpp"

namespace tb::metrics::statistics {
namespace {

using detail::kDrumChannel;
using detail::kNaN;
using detail::normalized;
using detail::piece_length;
using detail::signature_at;

// Total length of the union of half-open intervals.
int64_t union_length(std::vector<std::pair<int64_t, int64_t>>& iv) {
  std::sort(iv.begin(), iv.end());
  int64_t total = 0, cur_start = 0, cur_end = -1;
  bool open = false;
  for (const auto& [s, e] : iv) {
    if (e <= s) continue;
    if (!open || s > cur_end) {
      if (open) total += cur_end - cur_start;
      cur_start = s, cur_end = e, open = true;
    } else {
      cur_end = std::max(cur_end, e);
    }
  }
  if (open) total += cur_end - cur_start;
  return total;
}

}  // namespace

double avg_ioi(const notes::NoteSequence& seq) {
  const TempoMap tempo(seq);
  std::vector<double> onsets;
  for (const auto& n : seq.notes) onsets.push_back(tempo.seconds(n.start));
  if (onsets.size() < 2) return kNaN;
  std::sort(onsets.begin(), onsets.end());
  double sum = 0;
  for (size_t i = 1; i < onsets.size(); ++i) sum += onsets[i] - onsets[i - 1];
  return sum / static_cast<double>(onsets.size() - 1);
}

int note_length_class(int64_t duration, int64_t ticks_per_quarter,
                      const notes::TimeSignature& sig) {
  // mgeval note_length_hist: full, half, quarter, 8th, 16th, dotted half, dotted quarter,
  // dotted 8th, dotted 16th, half triplet, quarter triplet, 8th triplet, in bar/96 units.
  constexpr int64_t kUnits[12] = {96, 48, 24, 12, 6, 72, 36, 18, 9, 32, 16, 8};
  // Compared exactly in integers: |units * bar / 96 - duration| scaled by 96 * denominator, so
  // ties (a 2560-tick note between 2048 and 3072) go to the first class as numpy's argmin does
  // on exact values, whatever the compiler contracts.
  const int64_t den = std::max(sig.denominator, 1);
  const int64_t bar_times_den = int64_t{sig.numerator} * ticks_per_quarter * 4;  // bar * den
  const int64_t target = std::min<int64_t>(duration, int64_t{1} << 40) * 96 * den;
  int best = 0;
  int64_t best_distance = INT64_MAX;
  for (int k = 0; k < 12; ++k) {
    const int64_t d = std::abs(kUnits[k] * bar_times_den - target);
    if (d < best_distance) best_distance = d, best = k;
  }
  return best;
}

std::vector<double> note_length_histogram(const notes::NoteSequence& seq) {
  std::vector<double> h(12, 0.0);
  for (const auto& n : seq.notes) {
    if (n.channel == kDrumChannel) continue;
    h[static_cast<size_t>(
        note_length_class(n.duration, seq.ticks_per_quarter, signature_at(seq, n.start)))] += 1;
  }
  return normalized(std::move(h));
}

std::vector<double> note_length_transition_matrix(const notes::NoteSequence& seq) {
  std::vector<const notes::NoteEvent*> order;
  for (const auto& n : seq.notes) {
    if (n.channel != kDrumChannel) order.push_back(&n);
  }
  std::stable_sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
    return a->track != b->track ? a->track < b->track : a->start < b->start;
  });
  std::vector<double> m(144, 0.0);
  int last = -1;
  for (size_t i = 0; i < order.size(); ++i) {
    const auto& n = *order[i];
    if (i > 0 && order[i - 1]->track != n.track) last = -1;
    const int k = note_length_class(n.duration, seq.ticks_per_quarter, signature_at(seq, n.start));
    if (last >= 0) m[static_cast<size_t>(last * 12 + k)] += 1;
    last = k;
  }
  return normalized(std::move(m));
}

double polyphony(const notes::NoteSequence& seq) {
  // Binary piano roll: per pitch the union of [start, end); the denominator is the union of all.
  std::vector<std::pair<int64_t, int64_t>> all;
  std::map<int, std::vector<std::pair<int64_t, int64_t>>> by_pitch;
  for (const auto& n : seq.notes) {
    if (n.channel == kDrumChannel) continue;
    all.emplace_back(n.start, n.end());
    by_pitch[n.pitch].emplace_back(n.start, n.end());
  }
  const int64_t denominator = union_length(all);
  if (denominator < 1) return kNaN;
  int64_t on = 0;
  for (auto& [pitch, iv] : by_pitch) on += union_length(iv);
  return static_cast<double>(on) / static_cast<double>(denominator);
}

double polyphony_rate(const notes::NoteSequence& seq) {
  // MusPy: time steps (ticks 0 .. length - 1, length over every note) where more than
  // kPolyphonyThreshold pitched pitches sound (its code's ">"), over all time steps.
  const int64_t length = piece_length(seq);
  if (length < 1) return kNaN;
  std::map<int, std::vector<std::pair<int64_t, int64_t>>> by_pitch;
  for (const auto& n : seq.notes) {
    if (n.channel != kDrumChannel) by_pitch[n.pitch].emplace_back(n.start, n.end());
  }
  // Sweep over the per-pitch unions: +1 where a pitch starts sounding, -1 where it stops.
  std::vector<std::pair<int64_t, int>> edges;
  for (auto& [pitch, iv] : by_pitch) {
    std::sort(iv.begin(), iv.end());
    int64_t s = 0, e = -1;
    for (const auto& [start, end] : iv) {
      if (end <= start) continue;
      if (e < 0 || start > e) {
        if (e >= 0) edges.emplace_back(s, 1), edges.emplace_back(e, -1);
        s = start, e = end;
      } else {
        e = std::max(e, end);
      }
    }
    if (e >= 0) edges.emplace_back(s, 1), edges.emplace_back(e, -1);
  }
  std::sort(edges.begin(), edges.end());
  int64_t steps = 0, last = 0;
  int sounding = 0;
  for (const auto& [tick, delta] : edges) {
    if (sounding > kPolyphonyThreshold) steps += tick - last;
    sounding += delta;
    last = tick;
  }
  return static_cast<double>(steps) / static_cast<double>(length);
}

double empty_beat_rate(const notes::NoteSequence& seq) {
  const int64_t length = piece_length(seq);
  const int64_t res = std::max<int64_t>(seq.ticks_per_quarter, 1);
  if (length < 1) return kNaN;
  const int64_t beats = length / res + 1;
  // Each note marks beats start//res ..= end//res (MusPy's inclusive range).
  std::vector<std::pair<int64_t, int64_t>> iv;
  for (const auto& n : seq.notes) iv.emplace_back(n.start / res, n.end() / res + 1);
  return 1.0 - static_cast<double>(union_length(iv)) / static_cast<double>(beats);
}

double groove_consistency(const notes::NoteSequence& seq) {
  const int64_t measure = detail::first_bar_ticks(seq);
  const int64_t n_measures = piece_length(seq) / measure + 1;
  if (n_measures < 2) return kNaN;
  // Onset positions of each measure that has any; the others are empty rows.
  std::map<int64_t, std::vector<int64_t>> rows;
  for (const auto& n : seq.notes) rows[n.start / measure].push_back(n.start % measure);
  for (auto& [m, pos] : rows) {
    std::sort(pos.begin(), pos.end());
    pos.erase(std::unique(pos.begin(), pos.end()), pos.end());
  }
  // Hamming distance of each neighbouring pair (m, m + 1), m = 0 .. n_measures - 2.
  int64_t hamming = 0;
  for (const auto& [m, pos] : rows) {
    auto next = rows.find(m + 1);
    if (m + 1 < n_measures) {
      if (next == rows.end()) {
        hamming += static_cast<int64_t>(pos.size());
      } else {
        std::vector<int64_t> diff;
        std::set_symmetric_difference(pos.begin(), pos.end(), next->second.begin(),
                                      next->second.end(), std::back_inserter(diff));
        hamming += static_cast<int64_t>(diff.size());
      }
    }
    if (m >= 1 && rows.find(m - 1) == rows.end()) hamming += static_cast<int64_t>(pos.size());
  }
  return 1.0 - static_cast<double>(hamming) /
                   (static_cast<double>(measure) * static_cast<double>(n_measures - 1));
}

}  // namespace tb::metrics::statistics
