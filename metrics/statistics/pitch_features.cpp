// Pitch features: mgeval's pitch count, pitch class histogram and transitions, range and pitch
// shift; MusPy's entropies and scale consistency. See features.hpp for the definitions.
#include <algorithm>
#include <cmath>
#include <limits>

#include "metrics/statistics/features.hpp"
#include "metrics/statistics/note_helpers.hpp"
#include "metrics/statistics/tempo_map.hpp"

namespace tb::metrics::statistics {
namespace {

using detail::kNaN;
using detail::normalized;
using detail::pitch_class;
using detail::pitched;

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

double n_pitch_classes_used(const notes::NoteSequence& seq) {
  bool used[12] = {};
  int count = 0;
  for (const auto& n : seq.notes) {
    if (!pitched(n)) continue;
    const int pc = pitch_class(n.pitch);
    if (!used[pc]) used[pc] = true, ++count;
  }
  return count;
}

std::vector<double> pitch_in_scale_rate(const notes::NoteSequence& seq) {
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
  std::vector<double> rates;
  for (const bool* mask : {kMajor, kMinor}) {
    for (int root = 0; root < 12; ++root) {
      double in = 0;
      for (int pc = 0; pc < 12; ++pc) {
        if (mask[(pc - root + 12) % 12]) in += counts[pc];
      }
      rates.push_back(total < 1 ? kNaN : in / total);
    }
  }
  return rates;
}

double scale_consistency(const notes::NoteSequence& seq) {
  double best = 0;
  for (double rate : pitch_in_scale_rate(seq)) {
    if (std::isnan(rate)) return kNaN;
    best = std::max(best, rate);
  }
  return best;
}

}  // namespace tb::metrics::statistics
