// The Standard MIDI File reader on hand-built byte arrays: event decoding, note pairing and
// every kind of malformed input.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "metrics/notes/midi_file.hpp"
#include "tests/unit/notes/midi_bytes.hpp"
#include "tests/unit/test_paths.hpp"

using tb::notes::NoteEvent;
using tb::notes::NoteSequence;
using tb::notes::parse_midi;
using tb::notes::ParseError;
using tb::test::Bytes;
using tb::test::midi_file;

namespace {

const Bytes kEndOfTrack = {0x00, 0xff, 0x2f, 0x00};

Bytes operator+(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// The message of the ParseError that parsing `bytes` throws ("" when none is thrown).
std::string error_of(const Bytes& bytes, const std::string& name = "bad.mid") {
  try {
    parse_midi(bytes, name);
  } catch (const ParseError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("running status continues a note-on; velocity-0 note-on is a note-off") {
  // 90 3C 64 | (running) 60: 3C 00 | 40 64 | 60: 40 00
  const Bytes track =
      Bytes{0x00, 0x90, 0x3c, 0x64, 0x60, 0x3c, 0x00, 0x00, 0x40, 0x64, 0x60, 0x40, 0x00} +
      kEndOfTrack;
  const NoteSequence seq = parse_midi(midi_file(1, 96, {track}), "rs.mid");
  CHECK(seq.ticks_per_quarter == 96);
  REQUIRE(seq.notes.size() == 2);
  CHECK(seq.notes[0] == NoteEvent{60, 100, 0, 96, 0, 0, 0});
  CHECK(seq.notes[1] == NoteEvent{64, 100, 96, 96, 0, 0, 0});
  REQUIRE(seq.tracks.size() == 1);
  CHECK(seq.tracks[0].end_tick == 192);
}

TEST_CASE("overlapping notes of one pitch close first-in first-out; stray note-offs ignored") {
  const Bytes track = Bytes{0x00, 0x90, 0x3c, 0x50,  // t0   on 60 v80
                            0x10, 0x90, 0x3c, 0x60,  // t16  on 60 v96
                            0x10, 0x80, 0x3c, 0x40,  // t32  off 60 -> closes the v80 note
                            0x10, 0x80, 0x3c, 0x40,  // t48  off 60 -> closes the v96 note
                            0x10, 0x80, 0x3c, 0x40,  // t64  off 60 with nothing open
                            0x00, 0x81, 0x3c, 0x40}  // off on channel 1: nothing open
                      + kEndOfTrack;
  const NoteSequence seq = parse_midi(midi_file(1, 480, {track}), "fifo.mid");
  REQUIRE(seq.notes.size() == 2);
  CHECK(seq.notes[0] == NoteEvent{60, 80, 0, 32, 0, 0, 0});
  CHECK(seq.notes[1] == NoteEvent{60, 96, 16, 32, 0, 0, 0});
}

TEST_CASE("format 0: channels pair separately, programs per channel, open notes close at the end") {
  const Bytes track = Bytes{0x00, 0xff, 0x03, 0x03, 'P',  'n',  'o',         // track name
                            0x00, 0xff, 0x51, 0x03, 0x07, 0xa1, 0x20,        // tempo 500000
                            0x00, 0xff, 0x58, 0x04, 0x03, 0x03, 0x18, 0x08,  // 3/8
                            0x00, 0xc1, 0x28,         // program 40 on channel 1
                            0x00, 0x90, 0x3c, 0x64,   // on 60 ch0
                            0x00, 0x91, 0x3c, 0x46,   // on 60 ch1 v70
                            0x08, 0x80, 0x3c, 0x00,   // t8 off 60 ch0 (not ch1)
                            0x04, 0xc0, 0x05,         // t12 program 5 on channel 0
                            0x00, 0x90, 0x43, 0x50,   // t12 on 67 ch0 v80, never closed
                            0x00, 0xb0, 0x07, 0x64,   // control change
                            0x00, 0xe0, 0x00, 0x40,   // pitch bend
                            0x00, 0xd0, 0x10,         // channel pressure (one data byte)
                            0x00, 0xa0, 0x43, 0x10,   // poly aftertouch
                            0x04, 0x81, 0x3c, 0x00,   // t16 off 60 ch1
                            0x14, 0xff, 0x2f, 0x00};  // end of track at t36
  const NoteSequence seq = parse_midi(midi_file(0, 24, {track}), "f0.mid");
  REQUIRE(seq.notes.size() == 3);
  CHECK(seq.notes[0] == NoteEvent{60, 100, 0, 8, 0, 0, 0});
  CHECK(seq.notes[1] == NoteEvent{60, 70, 0, 16, 0, 40, 1});
  CHECK(seq.notes[2] == NoteEvent{67, 80, 12, 24, 0, 5, 0});
  REQUIRE(seq.tracks.size() == 1);
  CHECK(seq.tracks[0].name == "Pno");
  CHECK(seq.tracks[0].program == 40);  // the track's first program change
  CHECK(seq.tracks[0].end_tick == 36);
  REQUIRE(seq.tempos.size() == 1);
  CHECK(seq.tempos[0] == tb::notes::TempoChange{0, 500000});
  REQUIRE(seq.time_signatures.size() == 1);
  CHECK(seq.time_signatures[0] == tb::notes::TimeSignature{0, 3, 8});
}

TEST_CASE("meta events keep running status, sysex is skipped, unknown chunks are skipped") {
  const Bytes track1 = Bytes{0x00, 0x92, 0x30, 0x40,              // on 48 ch2
                             0x00, 0xff, 0x01, 0x02, 'h',  'i',   // text meta
                             0x0a, 0x30, 0x00,                    // running status: off
                             0x00, 0xf0, 0x03, 0x7e, 0x09, 0xf7,  // sysex
                             0x00, 0xf7, 0x01, 0x01,              // escaped sysex
                             0x00, 0x92, 0x31, 0x40, 0x02, 0x82, 0x31, 0x00} +
                       kEndOfTrack;
  const Bytes track0 = Bytes{0x00, 0xff, 0x51, 0x03, 0x0f, 0x42, 0x40,  // tempo 1000000 at 0
                             0x30, 0xff, 0x51, 0x03, 0x07, 0xa1, 0x20}  // tempo 500000 at 48
                       + kEndOfTrack;
  Bytes bytes = tb::test::midi_header(1, 2, 96);
  tb::test::append_chunk(bytes, "XFIH", {1, 2, 3, 4, 5});  // vendor chunk before the tracks
  tb::test::append_chunk(bytes, "MTrk", track0);
  tb::test::append_chunk(bytes, "MTrk", track1);
  const NoteSequence seq = parse_midi(bytes, "meta.mid");
  REQUIRE(seq.notes.size() == 2);
  CHECK(seq.notes[0] == NoteEvent{48, 64, 0, 10, 1, 0, 2});
  CHECK(seq.notes[1] == NoteEvent{49, 64, 10, 2, 1, 0, 2});
  REQUIRE(seq.tempos.size() == 2);
  CHECK(seq.tempos[0] == tb::notes::TempoChange{0, 1000000});
  CHECK(seq.tempos[1] == tb::notes::TempoChange{48, 500000});
  CHECK(seq.tracks.size() == 2);
}

TEST_CASE("a data byte right after sysex has no running status") {
  const Bytes track =
      Bytes{0x00, 0x90, 0x3c, 0x40, 0x00, 0xf0, 0x01, 0xf7, 0x00, 0x3c, 0x00} + kEndOfTrack;
  // header 14 + chunk header 8: events start at byte 22; the stray data byte is at 22 + 9.
  CHECK(error_of(midi_file(1, 96, {track})) ==
        "bad.mid: byte 31: data byte 0x3c where a status byte is needed (no running status)");
}

TEST_CASE("malformed files give one line naming the file and the byte offset") {
  const Bytes ok_track = Bytes{0x00, 0x90, 0x3c, 0x40, 0x10, 0x80, 0x3c, 0x00} + kEndOfTrack;
  const Bytes good = midi_file(1, 96, {ok_track});
  REQUIRE(error_of(good).empty());

  SUBCASE("truncated header") {
    const Bytes cut(good.begin(), good.begin() + 10);
    CHECK(error_of(cut, "cut.mid") ==
          "cut.mid: byte 4: header chunk of length 6 runs past the "
          "end of the file");
    const Bytes tiny(good.begin(), good.begin() + 6);
    CHECK(error_of(tiny, "tiny.mid") == "tiny.mid: byte 4: truncated header length");
  }
  SUBCASE("truncated inside an event") {
    Bytes bytes = tb::test::midi_header(1, 1, 96);
    tb::test::append_chunk(bytes, "MTrk", {0x00, 0x90, 0x3c});
    CHECK(error_of(bytes) == "bad.mid: byte 25: truncated channel message");
  }
  SUBCASE("truncated file: fewer tracks than declared") {
    Bytes bytes = tb::test::midi_header(1, 2, 96);
    tb::test::append_chunk(bytes, "MTrk", ok_track);
    CHECK(error_of(bytes) == "bad.mid: byte 34: the header declares 2 tracks but the file holds 1");
  }
  SUBCASE("wrong magic") {
    Bytes bytes = good;
    bytes[0] = 'R';
    CHECK(error_of(bytes) == "bad.mid: byte 0: not a MIDI file (no MThd header)");
    CHECK(error_of({}) == "bad.mid: byte 0: not a MIDI file (no MThd header)");
  }
  SUBCASE("chunk past the end of the file") {
    Bytes bytes = tb::test::midi_header(1, 1, 96);
    tb::test::append_chunk(bytes, "MTrk", ok_track, 100);
    CHECK(error_of(bytes) ==
          "bad.mid: byte 14: chunk of length 100 runs past the end of the file (34 bytes)");
  }
  SUBCASE("variable-length quantity over 4 bytes") {
    const Bytes track = Bytes{0x81, 0x80, 0x80, 0x80, 0x00, 0x90, 0x3c, 0x40} + kEndOfTrack;
    CHECK(error_of(midi_file(1, 96, {track})) ==
          "bad.mid: byte 22: delta time: variable-length quantity longer than 4 bytes");
  }
  SUBCASE("data byte with no running status") {
    const Bytes track = Bytes{0x00, 0x3c, 0x40} + kEndOfTrack;
    CHECK(error_of(midi_file(1, 96, {track})) ==
          "bad.mid: byte 23: data byte 0x3c where a status byte is needed (no running status)");
  }
  SUBCASE("SMPTE division") {
    CHECK(error_of(midi_file(1, 0xe728, {ok_track})) ==
          "bad.mid: byte 12: SMPTE time division is not supported");
  }
  SUBCASE("format 2 and unknown formats") {
    CHECK(error_of(midi_file(2, 96, {ok_track})) ==
          "bad.mid: byte 8: MIDI format 2 (independent sequences) is not supported");
    CHECK(error_of(midi_file(7, 96, {ok_track})) == "bad.mid: byte 8: unknown MIDI format 7");
  }
  SUBCASE("division 0") {
    CHECK(error_of(midi_file(1, 0, {ok_track})) ==
          "bad.mid: byte 12: division of 0 ticks per quarter");
  }
  SUBCASE("system real-time byte inside a track") {
    const Bytes track = Bytes{0x00, 0xf8} + kEndOfTrack;
    CHECK(error_of(midi_file(1, 96, {track})) ==
          "bad.mid: byte 23: system message 0xf8 is not allowed in a MIDI file");
  }
  SUBCASE("data byte >= 0x80 inside a channel message") {
    const Bytes track = Bytes{0x00, 0x90, 0x3c, 0x90} + kEndOfTrack;
    CHECK(error_of(midi_file(1, 96, {track})) ==
          "bad.mid: byte 25: data byte 0x90 of a channel message is >= 0x80");
  }
  SUBCASE("meta event longer than its chunk") {
    const Bytes track = {0x00, 0xff, 0x01, 0x10, 'a'};
    CHECK(error_of(midi_file(1, 96, {track})) == "bad.mid: byte 26: truncated meta event data");
  }
  SUBCASE("malformed tempo") {
    const Bytes track = Bytes{0x00, 0xff, 0x51, 0x02, 0x07, 0xa1} + kEndOfTrack;
    CHECK(error_of(midi_file(1, 96, {track})) == "bad.mid: byte 23: tempo meta event of length 2");
  }
}

TEST_CASE("read_midi_file names the path of a file it cannot open") {
  const auto missing = tb::test::binary_dir() / "no-such-file.mid";
  try {
    tb::notes::read_midi_file(missing);
    FAIL("no exception");
  } catch (const ParseError& e) {
    CHECK(std::string(e.what()) == missing.string() + ": byte 0: cannot open the file");
    CHECK(e.offset() == 0);
  }
}

TEST_CASE("read_midi_file refuses a FIFO instead of waiting for a writer (issue 17)") {
  const auto fifo = tb::test::binary_dir() / "test_notes_fifo.mid";
  std::filesystem::remove(fifo);
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  try {
    tb::notes::read_midi_file(fifo);
    FAIL("no exception");
  } catch (const ParseError& e) {
    CHECK(std::string(e.what()) == fifo.string() + ": byte 0: not a regular file");
  }
  std::filesystem::remove(fifo);
}
