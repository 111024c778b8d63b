#pragma once
// Small helpers shared by the feature files (internal to metrics/statistics).
#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "metrics/notes/note_event.hpp"

namespace tb::metrics::statistics::detail {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
inline constexpr int kDrumChannel = 9;

// MusPy's is_drum: General MIDI channel 10.
inline bool pitched(const notes::NoteEvent& n) {
  return n.channel != kDrumChannel;
}

inline int pitch_class(int pitch) {
  return ((pitch % 12) + 12) % 12;
}

// Divides by the sum; all NaN when the sum is zero.
inline std::vector<double> normalized(std::vector<double> v) {
  double total = 0;
  for (double x : v) total += x;
  for (double& x : v) x = total > 0 ? x / total : kNaN;
  return v;
}

// The time signature in force at `tick` (4/4 before the first one).
inline const notes::TimeSignature& signature_at(const notes::NoteSequence& seq, int64_t tick) {
  static const notes::TimeSignature kDefault{};
  const notes::TimeSignature* sig = &kDefault;
  for (const auto& s : seq.time_signatures) {
    if (s.tick > tick) break;
    sig = &s;
  }
  return *sig;
}

// MusPy's song length, max(track.get_end_time()), over notes: the end of the last note, drums
// included. (muspy.read_midi also keeps control changes as annotations, which would count;
// NoteSequence has none, see features.hpp.)
inline int64_t piece_length(const notes::NoteSequence& seq) {
  int64_t length = 0;
  for (const auto& n : seq.notes) length = std::max(length, n.end());
  return length;
}

// One bar of the first time signature in ticks (4/4 when none), at least 1.
inline int64_t first_bar_ticks(const notes::NoteSequence& seq) {
  const notes::TimeSignature& sig = signature_at(seq, 0);
  const double ticks = static_cast<double>(sig.numerator) * 4.0 *
                       static_cast<double>(seq.ticks_per_quarter) /
                       static_cast<double>(std::max(sig.denominator, 1));
  return std::max<int64_t>(1, static_cast<int64_t>(ticks + 0.5));
}

}  // namespace tb::metrics::statistics::detail
