#pragma once
// Structural validity of one generated MMM sample (metrics/notes/MMM.md): the checks that a
// well-formed 4-bar sample passes and that the lenient decoder (mmm.hpp) papers over. Each check
// is judged on its own, so a rate per check says which rule a model breaks.
#include <string>
#include <string_view>
#include <vector>

namespace tb::notes {

struct MmmValidity {
  bool piece = false;         // exactly one PIECE_START, and it is the first token
  bool tracks = false;        // >= 1 track; each TRACK_START INST=<p> ... TRACK_END, not nested
  bool bars = false;          // each BAR_START ... BAR_END inside a track, not nested; nothing
                              // but TRACK_END / BAR_START between bars
  bool notes = false;         // each NOTE_OFF=p closes an open NOTE_ON=p of its bar, none left
                              // open at BAR_END, no NOTE_ON at the bar's end step
  bool bar_length = false;    // each bar's TIME_DELTAs sum to at most 16 steps (one 4/4 bar)
  bool bar_count = false;     // every track has exactly 4 bars
  bool known_tokens = false;  // every token is in the MMM vocabulary
  bool valid = false;         // all of the above
  int track_count = 0;
  // Each bar's event tokens joined by spaces (BAR_START/BAR_END excluded), in text order, for
  // bar repetition.
  std::vector<std::string> bar_texts;
};

// Checks the whitespace-separated tokens of `text` (one sample; a second PIECE_START fails
// `piece`).
MmmValidity mmm_validity(std::string_view text);

}  // namespace tb::notes
