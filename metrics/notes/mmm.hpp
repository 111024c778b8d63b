#pragma once
// MMM (MultiTrack Music Machine) tokens: NoteSequence -> 4-bar samples and back, exactly as
// metrics/notes/MMM.md specifies (tools/mmm.py is the Python reference; they must agree).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/notes/note_event.hpp"

namespace tb::notes {

inline constexpr int kMmmStepsPerBar = 16;
inline constexpr int kMmmBarsPerSample = 4;
inline constexpr int kMmmDecodeVelocity = 80;

// Nearest sixteenth-note step of a tick, halves rounded up: floor(4*tick/tpq + 1/2).
int64_t mmm_step(int64_t tick, int64_t ticks_per_quarter);

// One string of space-separated tokens per 4-bar window. Notes are grouped by NoteEvent::track;
// tracks without notes are dropped, the others appear in ascending track order with INST =
// tracks[track].program (0 when `tracks` has no entry for it). Work and output are linear in
// the number of bars times the notes sounding in each; more than limits::kMmmBars bars is a
// ParseError naming `source`.
std::vector<std::string> mmm_encode(const NoteSequence& seq, const std::string& source = "notes");

struct MmmDecodeResult {
  // Notes sorted by (track, start, pitch, duration); track = index of TRACK_START in the sample;
  // tracks[i].program = INST of track i; velocity kMmmDecodeVelocity, channel 0.
  NoteSequence sequence;
  // One line per problem, "token N: what" (N counts tokens from 0); decoding always goes on.
  std::vector<std::string> diagnostics;
};

// Decodes one sample. Steps become ticks at `ticks_per_quarter` (4: one tick per step); bar k of
// a track starts at step 16 * (first_bar + k), so samples of one piece decode in place with
// first_bar = 4 * sample index.
MmmDecodeResult mmm_decode(std::string_view tokens, int64_t ticks_per_quarter = 4,
                           int64_t first_bar = 0);

// Every token the encoder can emit, in the same order as tools/mmm.py vocabulary().
std::vector<std::string> mmm_vocabulary();

}  // namespace tb::notes
