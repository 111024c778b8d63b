#include "metrics/statistics/tempo_map.hpp"

#include <algorithm>

namespace tb::metrics::statistics {

TempoMap::TempoMap(const notes::NoteSequence& seq) {
  const double tpq = static_cast<double>(std::max<int64_t>(seq.ticks_per_quarter, 1));
  segments_.push_back({0, 0.0, 0.5 / tpq});
  for (const notes::TempoChange& t : seq.tempos) {
    const Segment& last = segments_.back();
    const int64_t tick = std::max(t.tick, last.tick);
    const double at = last.seconds + static_cast<double>(tick - last.tick) * last.seconds_per_tick;
    const double spt = static_cast<double>(t.us_per_quarter) * 1e-6 / tpq;
    if (tick == last.tick) {
      segments_.back() = {tick, at, spt};
    } else {
      segments_.push_back({tick, at, spt});
    }
  }
}

double TempoMap::seconds(int64_t tick) const {
  auto it = std::upper_bound(segments_.begin(), segments_.end(), tick,
                             [](int64_t t, const Segment& s) { return t < s.tick; });
  const Segment& s = it == segments_.begin() ? segments_.front() : *(it - 1);
  return s.seconds + static_cast<double>(tick - s.tick) * s.seconds_per_tick;
}

}  // namespace tb::metrics::statistics
