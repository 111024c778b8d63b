#pragma once
// A parsed ABC tune played into a NoteSequence (480 ticks per quarter), as abc2midi would play
// it without repeats expanded:
//   pitches: C = 60 (middle C), c = 72, ' and , move an octave; the key signature of K:
//     (major, minor and the modes Ion Dor Phr Lyd Mix Aeo Loc, explicit accidentals "K:D =c",
//     "exp"); an accidental on a note holds for that letter and octave until the bar line;
//   lengths: L: (or the standard's default from M:), broken rhythm (> 3/2 1/2, >> 7/4 1/4,
//     >>> 15/8 1/8, < the other way), tuplets (p:q:r with the standard's defaults for q,
//     compound meters taking q = 3 for p = 5, 7, 9), chords (notes share the onset, each keeps
//     its own length times the chord's, the first note's length advances time), ties merge a
//     note into the next one of the same pitch (a tie across a bar line keeps the accidental);
//   grace notes take no time and are skipped; rests (z x) and multi-measure rests (Z X)
//     advance time; "&" overlays start again at the bar's start;
//   each voice (V:) is one track, starting at tick 0; inline [K:] [L:] [M:] apply to the voice
//     in force; the first voice's meters become the time signatures (M:none adds none);
//   tempo: a header Q: of the form "1/4=120" (beats may be summed, "1/4 1/8=60"); 120 quarters
//     per minute otherwise. Repeats are not unfolded. Velocity is 80 for every note.
#include "metrics/abc/abc.hpp"
#include "metrics/notes/note_event.hpp"

namespace tb::notes {

inline constexpr int64_t kAbcTicksPerQuarter = 480;
inline constexpr int kAbcVelocity = 80;

NoteSequence abc_to_notes(const tb::metrics::abc::Tune& tune);

}  // namespace tb::notes
