#pragma once
// Standard MIDI File (SMF) reader: format 0 and 1 files with ticks-per-quarter division, turned
// into a NoteSequence. Note pairing follows metrics/notes/MMM.md (FIFO per channel and pitch).
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "metrics/notes/note_event.hpp"
#include "metrics/notes/parse_error.hpp"

namespace tb::notes {

// Parses the bytes of a MIDI file; `name` is used in diagnostics. Throws ParseError ("NAME: byte
// OFFSET: what") on a truncated file, wrong magic, a chunk running past the end of the file, a
// variable-length quantity over 4 bytes, a data byte with no running status, an SMPTE division,
// format 2, or a system real-time/common byte inside a track.
//
// Semantics: note_on with velocity > 0 opens (channel, pitch); note_off or note_on velocity 0
// closes the earliest open one; unmatched note_offs are ignored; notes still open close at the
// track's last event tick. NoteEvent::program is the last program change on the note's channel
// in the same track before the note-on (0 if none); TrackInfo::program is the track's first
// program change. Meta events keep running status; sysex (F0/F7) cancels it. Chunks other than
// MTrk are skipped; only the number of tracks the header declares is read.
NoteSequence parse_midi(std::span<const uint8_t> bytes, const std::string& name);

// Reads and parses a file; a file that cannot be opened is a ParseError at byte 0.
NoteSequence read_midi_file(const std::filesystem::path& path);

}  // namespace tb::notes
