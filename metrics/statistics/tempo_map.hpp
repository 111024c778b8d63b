#pragma once
// Ticks to seconds through a NoteSequence's tempo changes (500000 us per quarter when none).
#include <cstdint>
#include <vector>

#include "metrics/notes/note_event.hpp"

namespace tb::metrics::statistics {

class TempoMap {
 public:
  explicit TempoMap(const notes::NoteSequence& seq);
  double seconds(int64_t tick) const;

 private:
  struct Segment {
    int64_t tick;
    double seconds;  // time at `tick`
    double seconds_per_tick;
  };
  std::vector<Segment> segments_;
};

}  // namespace tb::metrics::statistics
