// MusPy's drum metrics: the share of drum onsets on a duple or triple grid of the beat, and the
// larger of the two. Only drum notes (channel 10) count; the time step is one tick, so the grid
// is MusPy's _get_drum_pattern at resolution = ticks per quarter.
#include <algorithm>
#include <cmath>

#include "metrics/statistics/features.hpp"
#include "metrics/statistics/note_helpers.hpp"

namespace tb::metrics::statistics {
namespace {

// MusPy _get_drum_pattern: position 0 always; duple adds every res/4 and res/2 when they divide
// the beat, triple every res/3.
bool on_pattern(int64_t position, int64_t res, bool triple) {
  if (position == 0) return true;
  if (triple) return res % 3 == 0 && position % (res / 3) == 0;
  if (res % 4 == 0 && position % (res / 4) == 0) return true;
  return res % 2 == 0 && position % (res / 2) == 0;
}

}  // namespace

std::vector<double> drum_in_pattern_rate(const notes::NoteSequence& seq) {
  const int64_t res = std::max<int64_t>(seq.ticks_per_quarter, 1);
  double notes = 0, duple = 0, triple = 0;
  for (const auto& n : seq.notes) {
    if (n.channel != detail::kDrumChannel) continue;
    const int64_t position = ((n.start % res) + res) % res;
    notes += 1;
    duple += on_pattern(position, res, false) ? 1 : 0;
    triple += on_pattern(position, res, true) ? 1 : 0;
  }
  if (notes < 1) return {detail::kNaN, detail::kNaN};
  return {duple / notes, triple / notes};
}

double drum_pattern_consistency(const notes::NoteSequence& seq) {
  const std::vector<double> rates = drum_in_pattern_rate(seq);
  if (std::isnan(rates[0])) return detail::kNaN;
  return std::max(rates[0], rates[1]);
}

}  // namespace tb::metrics::statistics
