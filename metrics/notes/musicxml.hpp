#pragma once
// MusicXML reader (score-partwise 1.0 .. 4.0; .musicxml/.xml text, or a compressed .mxl zip
// whose META-INF/container.xml names the score) into a NoteSequence. It lives in its own
// library (tb_musicxml) because it needs pugixml and libzip; the rest of metrics is standard
// library only.
//
// What is read, as music21's MusicXML importer reads it:
//   - each <part> is a track, in file order; TrackInfo::name is its <part-name>;
//   - <divisions> (per part, may change) give durations; ticks_per_quarter is the least common
//     multiple of every <divisions> value in the file, so every duration is an exact tick count;
//   - <note>: <pitch> step/alter/octave -> MIDI key ((octave + 1) * 12 + step + alter, alter
//     rounded: microtones go to the nearest key), <duration>, <chord/> (the onset of the note
//     before it, no advance), <rest/>, <unpitched> (a drum on channel 10 when the part's
//     <midi-channel> is 10, else its display step/octave), <grace/> and <cue/> notes are skipped
//     (no sounding duration); <tie type="start|stop"/> joins a note to the open note of the same
//     pitch and part that it continues;
//   - <backup>/<forward> move the part's cursor; a measure lasts as far as its cursor reached,
//     the next measure starts there (pickups and implicit measures included);
//   - <time> beats/beat-type -> TimeSignature, <sound tempo="q/min"> -> TempoChange (from the
//     first part that gives them, where music21 shares one global timeline);
//   - velocity: the note's dynamics attribute (percent of forte = 90), else the last
//     <sound dynamics>, else 64; channel: the part's <midi-channel> - 1, else 0.
// Repeats are not expanded (as music21's parser leaves them). score-timewise is refused.
// Throws ParseError ("FILE: byte OFFSET: what") for XML that does not parse, a zip without a
// score, a root that is not <score-partwise>, or a <duration>/<divisions> that is not a
// non-negative number.
#include <filesystem>
#include <string>
#include <string_view>

#include "metrics/notes/note_event.hpp"
#include "metrics/notes/parse_error.hpp"

namespace tb::notes {

// The bytes of a .mxl (told by its zip magic) or of MusicXML text; `name` names the file in
// messages.
NoteSequence parse_musicxml(std::string_view bytes, const std::string& name);
NoteSequence parse_musicxml_text(std::string_view xml, const std::string& name);

NoteSequence read_musicxml_file(const std::filesystem::path& path);

}  // namespace tb::notes
