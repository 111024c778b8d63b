#pragma once
// The "p:v:d:t" note text format, e.g. "p57:v95:d960:t0 p61:v93:d480:t480": one token per note
// with pitch, velocity, duration in ticks and t = ticks from the previous note's onset (the
// first note's t counts from tick 0), separated by whitespace. This is the convention of public
// code that emits it (notes accumulate `absolute_time += t`; chord notes have t0); ticks are
// 480 per quarter unless the caller says otherwise. The format carries no track, channel or
// program: they read back as 0.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/notes/note_event.hpp"

namespace tb::notes {

inline constexpr int64_t kPvdtTicksPerQuarter = 480;

// Writes the notes in onset order (stable for equal onsets), tokens joined by single spaces.
// Durations are written as they are; the ticks are the sequence's own.
std::string write_pvdt(const NoteSequence& seq);

struct PvdtReadResult {
  NoteSequence sequence;  // notes in text order
  // One line per malformed token, "byte OFFSET: what"; such tokens are skipped (generated text
  // is measured, not rejected).
  std::vector<std::string> diagnostics;
};

// Reads the text. A token is p<0..127>:v<0..127>:d<ticks>:t<ticks>, fields in that order,
// decimal digits only.
PvdtReadResult read_pvdt(std::string_view text, int64_t ticks_per_quarter = kPvdtTicksPerQuarter);

}  // namespace tb::notes
