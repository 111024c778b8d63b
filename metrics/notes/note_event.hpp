#pragma once
// The shared note representation: ABC, Standard MIDI Files, MMM tokens and "p:v:d:t" text are all
// converted into a NoteSequence so that metrics (pitch/rhythm statistics, repetition) see one
// form. Times are integer ticks at `ticks_per_quarter`; nothing here is floating point, so
// conversions compare exactly.
#include <cstdint>
#include <string>
#include <vector>

namespace tb::notes {

struct NoteEvent {
  int pitch = 0;         // MIDI key number 0..127
  int velocity = 0;      // 1..127 (note-on velocity)
  int64_t start = 0;     // onset, ticks from the start of the piece
  int64_t duration = 0;  // ticks, >= 0
  int track = 0;         // index of the track (MTrk chunk, MMM TRACK_START, ABC voice)
  int program = 0;       // General MIDI program 0..127 sounding on the channel at the onset
  int channel = 0;       // MIDI channel 0..15

  int64_t end() const { return start + duration; }
  bool operator==(const NoteEvent&) const = default;
};

// A tempo change: from `tick` on, a quarter note lasts `us_per_quarter` microseconds.
struct TempoChange {
  int64_t tick = 0;
  int64_t us_per_quarter = 500000;  // the MIDI default, 120 quarters per minute
  bool operator==(const TempoChange&) const = default;
};

// A time signature from `tick` on, e.g. 6/8 is {numerator 6, denominator 8}.
struct TimeSignature {
  int64_t tick = 0;
  int numerator = 4;
  int denominator = 4;
  bool operator==(const TimeSignature&) const = default;
};

// What is known about one track besides its notes.
struct TrackInfo {
  std::string name;      // MIDI track name meta event (bytes as stored), empty when absent
  int program = 0;       // the track's instrument: its first program change, 0 if none (MMM INST)
  int64_t end_tick = 0;  // tick of the track's last event
  bool operator==(const TrackInfo&) const = default;
};

struct NoteSequence {
  int64_t ticks_per_quarter = 480;
  // Readers list notes per track in file order, within a track in onset (note-on) order.
  std::vector<NoteEvent> notes;
  std::vector<TempoChange> tempos;             // sorted by tick; empty means 500000 throughout
  std::vector<TimeSignature> time_signatures;  // sorted by tick; empty means 4/4 throughout
  std::vector<TrackInfo> tracks;               // indexed by NoteEvent::track

  bool operator==(const NoteSequence&) const = default;
};

}  // namespace tb::notes
