// MMM encoder and decoder on hand-made note sequences with hand-written token strings
// (metrics/notes/MMM.md), decoder diagnostics, and decode(encode(x)) on quantised input.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "metrics/notes/mmm.hpp"
#include "metrics/notes/parse_error.hpp"

using tb::notes::mmm_decode;
using tb::notes::mmm_encode;
using tb::notes::mmm_step;
using tb::notes::NoteEvent;
using tb::notes::NoteSequence;
using tb::notes::TrackInfo;

namespace {

// A sequence at 4 ticks per quarter (one tick per sixteenth step).
NoteSequence steps_sequence(std::vector<NoteEvent> notes, std::vector<int> programs) {
  NoteSequence seq;
  seq.ticks_per_quarter = 4;
  seq.notes = std::move(notes);
  for (const int p : programs) seq.tracks.push_back(TrackInfo{"", p, 0});
  return seq;
}

NoteEvent note(int pitch, int64_t start, int64_t duration, int track = 0, int program = 0) {
  return NoteEvent{pitch, 80, start, duration, track, program, 0};
}

const std::string kEmptyBar = " BAR_START BAR_END";

}  // namespace

TEST_CASE("mmm_step rounds to the nearest sixteenth, halves up") {
  CHECK(mmm_step(0, 480) == 0);
  CHECK(mmm_step(59, 480) == 0);
  CHECK(mmm_step(60, 480) == 1);  // exactly half a step
  CHECK(mmm_step(179, 480) == 1);
  CHECK(mmm_step(180, 480) == 2);
  CHECK(mmm_step(1024, 1024) == 4);
  CHECK(mmm_step(127, 1024) == 0);  // 0.496 steps
  CHECK(mmm_step(128, 1024) == 1);  // 0.5 steps
  CHECK(mmm_step(5, 3) == 7);       // 6.67 steps
}

TEST_CASE("a note across a bar line is re-struck; a note ending on the bar end closes at 16") {
  const NoteSequence seq =
      steps_sequence({note(60, 0, 4), note(64, 4, 4), note(72, 8, 8), note(67, 12, 8)}, {0});
  const std::vector<std::string> expected = {
      "PIECE_START TRACK_START INST=0"
      " BAR_START NOTE_ON=60 TIME_DELTA=4 NOTE_OFF=60 NOTE_ON=64 TIME_DELTA=4 NOTE_OFF=64"
      " NOTE_ON=72 TIME_DELTA=4 NOTE_ON=67 TIME_DELTA=4 NOTE_OFF=67 NOTE_OFF=72 BAR_END"
      " BAR_START NOTE_ON=67 TIME_DELTA=4 NOTE_OFF=67 BAR_END" +
      kEmptyBar + kEmptyBar + " TRACK_END"};
  CHECK(mmm_encode(seq) == expected);

  const auto decoded = mmm_decode(expected[0]);
  CHECK(decoded.diagnostics.empty());
  const std::vector<NoteEvent> notes = {note(60, 0, 4), note(64, 4, 4), note(72, 8, 8),
                                        note(67, 12, 4), note(67, 16, 4)};
  CHECK(decoded.sequence.notes == notes);
  CHECK(decoded.sequence.ticks_per_quarter == 4);
}

TEST_CASE("same-time events: NOTE_OFF before NOTE_ON, ascending pitch; a note over 3 bars") {
  const NoteSequence seq = steps_sequence(
      {note(64, 0, 4), note(60, 0, 4), note(67, 4, 4), note(62, 4, 4), note(48, 8, 36)}, {19});
  const std::vector<std::string> expected = {
      "PIECE_START TRACK_START INST=19"
      " BAR_START NOTE_ON=60 NOTE_ON=64 TIME_DELTA=4 NOTE_OFF=60 NOTE_OFF=64 NOTE_ON=62"
      " NOTE_ON=67 TIME_DELTA=4 NOTE_OFF=62 NOTE_OFF=67 NOTE_ON=48 TIME_DELTA=8 NOTE_OFF=48"
      " BAR_END"
      " BAR_START NOTE_ON=48 TIME_DELTA=16 NOTE_OFF=48 BAR_END"
      " BAR_START NOTE_ON=48 TIME_DELTA=12 NOTE_OFF=48 BAR_END" +
      kEmptyBar + " TRACK_END"};
  CHECK(mmm_encode(seq) == expected);
}

TEST_CASE("quantisation, dropped empty tracks, programs, and a padded second window") {
  NoteSequence seq;
  seq.ticks_per_quarter = 480;
  seq.tracks = {TrackInfo{"", 41, 0}, TrackInfo{"", 7, 0}, TrackInfo{"", 33, 0}};
  seq.notes = {
      NoteEvent{60, 100, 0, 480, 0, 0, 0},    // steps 0..4
      NoteEvent{62, 90, 1980, 0, 0, 0, 0},    // step 17, zero length -> 17..18
      NoteEvent{36, 70, 7680, 240, 2, 0, 9},  // step 64; end 7920 = 66.5 steps -> 66
  };
  const std::string empty_track =
      " TRACK_START INST=33" + kEmptyBar + kEmptyBar + kEmptyBar + kEmptyBar + " TRACK_END";
  const std::vector<std::string> expected = {
      "PIECE_START TRACK_START INST=41"
      " BAR_START NOTE_ON=60 TIME_DELTA=4 NOTE_OFF=60 BAR_END"
      " BAR_START TIME_DELTA=1 NOTE_ON=62 TIME_DELTA=1 NOTE_OFF=62 BAR_END" +
          kEmptyBar + kEmptyBar + " TRACK_END" + empty_track,
      "PIECE_START TRACK_START INST=41" + kEmptyBar + kEmptyBar + kEmptyBar + kEmptyBar +
          " TRACK_END TRACK_START INST=33 BAR_START NOTE_ON=36 TIME_DELTA=2 NOTE_OFF=36 BAR_END" +
          kEmptyBar + kEmptyBar + kEmptyBar + " TRACK_END"};
  CHECK(mmm_encode(seq) == expected);

  // The second window decodes in place at 480 ticks per quarter: bar 4 starts at tick 7680.
  const auto second = mmm_decode(expected[1], 480, 4);
  CHECK(second.diagnostics.empty());
  REQUIRE(second.sequence.notes.size() == 1);
  CHECK(second.sequence.notes[0] == NoteEvent{36, 80, 7680, 240, 1, 33, 0});
  REQUIRE(second.sequence.tracks.size() == 2);
  CHECK(second.sequence.tracks[0].program == 41);
  CHECK(second.sequence.tracks[1].program == 33);
}

TEST_CASE("no notes, no samples") {
  CHECK(mmm_encode(steps_sequence({}, {0, 1})).empty());
}

TEST_CASE("the vocabulary holds every token the encoder emits") {
  const auto vocab = tb::notes::mmm_vocabulary();
  CHECK(vocab.size() == 5 + 3 * 128 + 16);
  CHECK(vocab[0] == "PIECE_START");
  CHECK(vocab[5] == "INST=0");
  CHECK(vocab.back() == "TIME_DELTA=16");
}

TEST_CASE("malformed token streams give counted diagnostics, never exceptions") {
  SUBCASE("unknown tokens and out-of-range values") {
    const auto r = mmm_decode(
        "PIECE_START TRACK_START INST=0 BAR_START NOTE_ON=60 TIME_DELTA=4 FOO NOTE_ON=128"
        " TIME_DELTA=17 TIME_DELTA=0 INST=x BAR_END TRACK_END");
    const std::vector<std::string> expected = {
        "token 6: unknown token 'FOO'", "token 7: unknown token 'NOTE_ON=128'",
        "token 8: unknown token 'TIME_DELTA=17'", "token 9: unknown token 'TIME_DELTA=0'",
        "token 10: unknown token 'INST=x'"};
    CHECK(r.diagnostics == expected);
    // The open note closes at the bar's end.
    CHECK(r.sequence.notes == std::vector<NoteEvent>{note(60, 0, 16)});
  }
  SUBCASE("NOTE_OFF with no open note") {
    const auto r = mmm_decode(
        "PIECE_START TRACK_START INST=5 BAR_START NOTE_OFF=60 BAR_END "
        "TRACK_END");
    CHECK(r.diagnostics == std::vector<std::string>{"token 4: NOTE_OFF=60 with no open note"});
    CHECK(r.sequence.notes.empty());
  }
  SUBCASE("TIME_DELTA beyond the bar is clamped to the bar's end") {
    const auto r = mmm_decode(
        "PIECE_START TRACK_START INST=0 BAR_START TIME_DELTA=10 NOTE_ON=62"
        " TIME_DELTA=10 NOTE_OFF=62 BAR_END TRACK_END");
    CHECK(r.diagnostics == std::vector<std::string>{"token 6: TIME_DELTA beyond the bar"});
    CHECK(r.sequence.notes == std::vector<NoteEvent>{note(62, 10, 6)});
  }
  SUBCASE("missing BAR_END, TRACK_END and PIECE_START") {
    const auto r = mmm_decode(
        "TRACK_START INST=0 BAR_START NOTE_ON=60 TIME_DELTA=2 BAR_START"
        " NOTE_ON=61 TIME_DELTA=2 NOTE_OFF=61");
    const std::vector<std::string> expected = {
        "token 0: missing PIECE_START", "token 5: missing BAR_END", "token 9: missing BAR_END",
        "token 9: missing TRACK_END"};
    CHECK(r.diagnostics == expected);
    CHECK(r.sequence.notes == std::vector<NoteEvent>{note(60, 0, 16), note(61, 16, 2)});
  }
  SUBCASE("tokens outside their context") {
    const auto r = mmm_decode(
        "PIECE_START INST=3 BAR_START NOTE_ON=60 BAR_END TRACK_END"
        " PIECE_START TRACK_START TIME_DELTA=1 NOTE_OFF=1 TRACK_START"
        " BAR_START NOTE_ON=60 NOTE_OFF=60 TIME_DELTA=16 NOTE_ON=61"
        " BAR_END TRACK_END");
    const std::vector<std::string> expected = {
        "token 1: INST outside a track",      "token 2: BAR_START outside a track",
        "token 3: NOTE_ON outside a bar",     "token 4: BAR_END without BAR_START",
        "token 5: TRACK_END outside a track", "token 6: unexpected PIECE_START",
        "token 8: TIME_DELTA outside a bar",  "token 9: NOTE_OFF outside a bar",
        "token 10: missing TRACK_END",        "token 13: zero-length note 60 dropped",
        "token 15: NOTE_ON at the bar's end"};
    CHECK(r.diagnostics == expected);
    CHECK(r.sequence.notes.empty());
    CHECK(r.sequence.tracks.size() == 2);
  }
  SUBCASE("random token soup never crashes and yields only notes inside their bars") {
    const auto vocab = tb::notes::mmm_vocabulary();
    std::mt19937 rng(1234);
    for (int round = 0; round < 200; ++round) {
      std::string text;
      const int count = static_cast<int>(rng() % 120);
      for (int i = 0; i < count; ++i) {
        text += (rng() % 50 == 0) ? std::string("junk") : vocab[rng() % vocab.size()];
        text += (rng() % 7 == 0) ? "\n" : " ";
      }
      const auto r = mmm_decode(text);
      for (const NoteEvent& n : r.sequence.notes) {
        CHECK(n.duration > 0);
        CHECK(n.start / 16 == (n.end() - 1) / 16);  // a piece never crosses a bar line
      }
    }
  }
}

TEST_CASE("decode(encode(x)) gives x split at bar lines, for random quantised notes") {
  std::mt19937 rng(20240607);
  for (int round = 0; round < 100; ++round) {
    const int tracks = 1 + static_cast<int>(rng() % 3);
    std::vector<int> programs;
    std::vector<NoteEvent> notes;
    for (int t = 0; t < tracks; ++t) {
      programs.push_back(static_cast<int>(rng() % 128));
      // Non-overlapping notes per pitch (decoding pairs NOTE_OFF with the earliest onset).
      for (int pitch = 40 + 3 * t; pitch < 52 + 3 * t; pitch += 1 + static_cast<int>(rng() % 4)) {
        int64_t time = rng() % 8;
        while (time < 150) {
          const int64_t length = 1 + rng() % 24;
          notes.push_back(note(pitch, time, length, t, programs.back()));
          time += length + rng() % 12;
        }
      }
    }
    std::shuffle(notes.begin(), notes.end(), rng);
    const NoteSequence seq = steps_sequence(notes, programs);

    std::vector<NoteEvent> expected;
    for (const NoteEvent& n : notes) {
      for (int64_t s = n.start; s < n.end(); s = (s / 16 + 1) * 16)
        expected.push_back(
            note(n.pitch, s, std::min(n.end(), (s / 16 + 1) * 16) - s, n.track, n.program));
    }
    auto key = [](const NoteEvent& n) { return std::tie(n.track, n.start, n.pitch, n.duration); };
    std::sort(expected.begin(), expected.end(),
              [&](const NoteEvent& a, const NoteEvent& b) { return key(a) < key(b); });

    std::vector<NoteEvent> decoded;
    const auto samples = mmm_encode(seq);
    for (size_t j = 0; j < samples.size(); ++j) {
      const auto r = mmm_decode(samples[j], 4, static_cast<int64_t>(4 * j));
      CHECK(r.diagnostics.empty());
      decoded.insert(decoded.end(), r.sequence.notes.begin(), r.sequence.notes.end());
    }
    std::stable_sort(decoded.begin(), decoded.end(),
                     [&](const NoteEvent& a, const NoteEvent& b) { return key(a) < key(b); });
    REQUIRE(decoded.size() == expected.size());
    CHECK(decoded == expected);
  }
}

TEST_CASE("mmm_encode: one note held for 2^28 ticks is refused, a long one is linear (issue 17)") {
  // A 37-byte MIDI file can hold this note; its samples were gigabytes (bars x notes work).
  const NoteSequence huge = steps_sequence({note(60, 0, int64_t{1} << 28)}, {0});
  try {
    mmm_encode(huge, "long.mid");
    FAIL("no error");
  } catch (const tb::notes::ParseError& e) {
    CHECK(std::string(e.what()) ==
          "long.mid: byte 0: the notes span 16777216 bars of 16 steps, over the limit of 100000 "
          "for MMM encoding");
  }
  // 4000 bars of one held note plus a short one at the end: every bar re-strikes the held note.
  const int64_t steps = 4000 * 16;
  const auto samples =
      mmm_encode(steps_sequence({note(60, 0, steps), note(62, steps - 1, 1)}, {0}));
  REQUIRE(samples.size() == 1000);
  const std::string bar = " BAR_START NOTE_ON=60 TIME_DELTA=16 NOTE_OFF=60 BAR_END";
  CHECK(samples[0] == "PIECE_START TRACK_START INST=0" + bar + bar + bar + bar + " TRACK_END");
  CHECK(samples[999] == "PIECE_START TRACK_START INST=0" + bar + bar + bar +
                            " BAR_START NOTE_ON=60 TIME_DELTA=15 NOTE_ON=62 TIME_DELTA=1 "
                            "NOTE_OFF=60 NOTE_OFF=62 BAR_END TRACK_END");
}
