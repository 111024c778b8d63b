// Pitch features: mgeval's pitch count, pitch class histogram and transitions, range and pitch
// shift; MusPy's entropies and scale consistency. See features.hpp for the definitions.
#include <algorithm>
#include <cmath>
#include <limits>

#include "metrics/statistics/features.hpp"
#include "metrics/statistics/tempo_map.hpp"

namespace tb::metrics::statistics {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int kDrumChannel = 9;

bool pitched(const notes::NoteEvent& n) {
  return n.channel != kDrumChannel;
}

int pitch_class(int pitch) {
  return ((pitch % 12) + 12) % 12;
}

// Divides by the sum; all NaN when the sum is zero.
std::vector<double> normalized(std::vector<double> v) {
  double total = 0;
  for (double x : v) total += x;
  for (double& x : v) x = total > 0 ? x / total : kNaN;
  return v;
}

double entropy_bits(const std::vector<double>& counts) {
  double total = 0;
  for (double c : counts) total += c;
  if (total < 1) return kNaN;
  double h = 0;
  for (double c : counts) {
    if (c > 0) h -= (c / total) * std::log2(c / total);
  }
  return h;
}

}  // namespace

double total_used_pitch(const notes::NoteSequence& seq) {
  bool used[128] = {};
  int count = 0;
  for (const auto& n : seq.notes) {
    if (!pitched(n) || n.pitch < 0 || n.pitch > 127) continue;
    if (!used[n.pitch]) used[n.pitch] = true, ++count;
  }
  return count;
}

std::vector<double> pitch_class_histogram(const notes::NoteSequence& seq) {
  const TempoMap tempo(seq);
  std::vector<double> h(12, 0.0);
  for (const auto& n : seq.notes) {
    if (!pitched(n)) continue;
    const double seconds = tempo.seconds(n.end()) - tempo.seconds(n.start);
    h[static_cast<size_t>(pitch_class(n.pitch))] += n.velocity * seconds;
  }
  return normalized(std::move(h));
}

std::vector<double> pitch_class_transition_matrix(const notes::NoteSequence& seq) {
  // pretty_midi Instrument.get_pitch_class_transition_matrix(time_thresh=0.05) per track: the
  // pairs (i, j) with |end_i - start_j| < 0.05 s, found through the sorted onsets.
  constexpr double kThreshold = 0.05;
  const TempoMap tempo(seq);
  std::vector<double> m(144, 0.0);
  int tracks = 0;
  for (const auto& n : seq.notes) tracks = std::max(tracks, n.track + 1);
  for (int t = 0; t < tracks; ++t) {
    std::vector<std::pair<double, int>> starts;  // onset seconds, pitch class
    std::vector<std::pair<double, int>> ends;
    for (const auto& n : seq.notes) {
      if (n.track != t || !pitched(n)) continue;
      starts.emplace_back(tempo.seconds(n.start), pitch_class(n.pitch));
      ends.emplace_back(tempo.seconds(n.end()), pitch_class(n.pitch));
    }
    if (starts.size() <= 1) continue;  // pretty_midi: fewer than two notes give zeros
    std::sort(starts.begin(), starts.end());
    for (const auto& [end, from] : ends) {
      auto it = std::upper_bound(starts.begin(), starts.end(), end - kThreshold,
                                 [](double x, const auto& s) { return x < s.first; });
      for (; it != starts.end() && it->first - end < kThreshold; ++it) {
        if (std::abs(end - it->first) < kThreshold) {
          m[static_cast<size_t>(from * 12 + it->second)] += 1;
        }
      }
    }
  }
  return normalized(std::move(m));
}

double pitch_range(const notes::NoteSequence& seq) {
  int lo = 128, hi = -1;
  for (const auto& n : seq.notes) {
    if (!pitched(n)) continue;
    lo = std::min(lo, n.pitch);
    hi = std::max(hi, n.pitch);
  }
  return hi < 0 ? 0.0 : hi - lo;
}

double avg_pitch_shift(const notes::NoteSequence& seq) {
  // Notes of a track are in onset order (the readers' contract); a stable sort keeps it so.
  std::vector<const notes::NoteEvent*> order;
  for (const auto& n : seq.notes) {
    if (pitched(n)) order.push_back(&n);
  }
  std::stable_sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
    return a->track != b->track ? a->track < b->track : a->start < b->start;
  });
  double sum = 0;
  size_t count = 0;
  for (size_t i = 1; i < order.size(); ++i) {
    if (order[i]->track != order[i - 1]->track) continue;
    sum += std::abs(order[i]->pitch - order[i - 1]->pitch);
    ++count;
  }
  return count == 0 ? kNaN : sum / static_cast<double>(count);
}

double pitch_entropy(const notes::NoteSequence& seq) {
  std::vector<double> counts(128, 0.0);
  for (const auto& n : seq.notes) {
    if (pitched(n) && n.pitch >= 0 && n.pitch < 128) counts[static_cast<size_t>(n.pitch)] += 1;
  }
  return entropy_bits(counts);
}

double pitch_class_entropy(const notes::NoteSequence& seq) {
  std::vector<double> counts(12, 0.0);
  for (const auto& n : seq.notes) {
    if (pitched(n)) counts[static_cast<size_t>(pitch_class(n.pitch))] += 1;
  }
  return entropy_bits(counts);
}

double scale_consistency(const notes::NoteSequence& seq) {
  // MusPy _get_scale: C major and C minor masks rolled to each root.
  constexpr bool kMajor[12] = {1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1};
  constexpr bool kMinor[12] = {1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0};
  double counts[12] = {};
  double total = 0;
  for (const auto& n : seq.notes) {
    if (!pitched(n)) continue;
    counts[pitch_class(n.pitch)] += 1;
    total += 1;
  }
  if (total < 1) return kNaN;
  double best = 0;
  for (const bool* mask : {kMajor, kMinor}) {
    for (int root = 0; root < 12; ++root) {
      double in = 0;
      for (int pc = 0; pc < 12; ++pc) {
        if (mask[(pc - root + 12) % 12]) in += counts[pc];
      }
      best = std::max(best, in / total);
    }
  }
  return best;
}

}  // namespace tb::metrics::statistics
