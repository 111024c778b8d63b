#pragma once
// Validity of generated "p:v:d:t" note text (pvdt_text.hpp), with the optional fifth field
// ":b<bend>" some models emit (a MIDI pitch-bend value, -8192..8191, signed). Each check is judged
// on its own over all tokens; `notes_text` is the text with the well-formed tokens only and
// their bend fields dropped, which the p:v:d:t reader turns into notes.
#include <string>
#include <string_view>

namespace tb::notes {

struct PvdtValidity {
  bool nonempty = false;           // at least one token
  bool well_formed = false;        // every token is p<digits>:v<digits>:d<digits>:t<digits>, then
                                   // optionally :b<digits> or :b-<digits>, nothing else
  bool pitch_range = false;        // every well-formed token has p in 0..127
  bool velocity_range = false;     // v in 1..127
  bool duration_positive = false;  // d >= 1
  bool bend_range = false;         // b in -8192..8191 wherever present
  bool valid = false;              // all of the above
  int tokens = 0;
  int bends = 0;  // tokens with a bend field
  std::string notes_text;
};

PvdtValidity pvdt_validity(std::string_view text);

}  // namespace tb::notes
