// The "p:v:d:t" note text format: hand values, writing, round trips and malformed tokens.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "metrics/notes/pvdt_text.hpp"

using tb::notes::NoteEvent;
using tb::notes::NoteSequence;
using tb::notes::read_pvdt;
using tb::notes::write_pvdt;

TEST_CASE("t is the time since the previous onset; chord notes have t0") {
  // The example sequence of public code emitting this format.
  const auto r = read_pvdt("p54:v95:d960:t0 p56:v94:d960:t0 p61:v93:d480:t480");
  CHECK(r.diagnostics.empty());
  CHECK(r.sequence.ticks_per_quarter == 480);
  const std::vector<NoteEvent> expected = {NoteEvent{54, 95, 0, 960, 0, 0, 0},
                                           NoteEvent{56, 94, 0, 960, 0, 0, 0},
                                           NoteEvent{61, 93, 480, 480, 0, 0, 0}};
  CHECK(r.sequence.notes == expected);

  const auto lines = read_pvdt("p57:v95:d960:t240\n\tp60:v1:d0:t720 \r\n", 96);
  CHECK(lines.diagnostics.empty());
  CHECK(lines.sequence.ticks_per_quarter == 96);
  CHECK(lines.sequence.notes == std::vector<NoteEvent>{NoteEvent{57, 95, 240, 960, 0, 0, 0},
                                                       NoteEvent{60, 1, 960, 0, 0, 0, 0}});
}

TEST_CASE("writing sorts by onset (stable) and writes onset deltas") {
  NoteSequence seq;
  seq.notes = {NoteEvent{67, 70, 960, 480, 1, 5, 2}, NoteEvent{60, 100, 0, 480, 0, 0, 0},
               NoteEvent{64, 90, 0, 240, 0, 0, 0}, NoteEvent{72, 80, 1500, 60, 0, 0, 0}};
  CHECK(write_pvdt(seq) == "p60:v100:d480:t0 p64:v90:d240:t0 p67:v70:d480:t960 p72:v80:d60:t540");
  CHECK(write_pvdt(NoteSequence{}).empty());
}

TEST_CASE("read(write(x)) == x for notes in onset order") {
  std::mt19937 rng(7);
  for (int round = 0; round < 50; ++round) {
    NoteSequence seq;
    int64_t onset = rng() % 1000;
    for (int i = 0; i < 40; ++i) {
      onset += (rng() % 3 == 0) ? 0 : rng() % 2000;
      seq.notes.push_back(NoteEvent{static_cast<int>(rng() % 128),
                                    static_cast<int>(1 + rng() % 127), onset,
                                    static_cast<int64_t>(rng() % 5000), 0, 0, 0});
    }
    const auto r = read_pvdt(write_pvdt(seq));
    CHECK(r.diagnostics.empty());
    CHECK(r.sequence.notes == seq.notes);
  }
}

TEST_CASE("malformed tokens are reported with their byte offset and skipped") {
  const std::string text =
      "p60:v90:d100:t0 p61:v90:d100 p128:v1:d1:t0 x p62:v90:d100:t0:t5 p:v:d:t "
      "v90:p60:d1:t1 p63:v90:d100:t50 p64:v90:d-1:t0";
  const auto r = read_pvdt(text);
  const std::vector<std::string> expected = {
      "byte 16: malformed note 'p61:v90:d100' (expected p<0-127>:v<0-127>:d<ticks>:t<ticks>)",
      "byte 29: malformed note 'p128:v1:d1:t0' (expected p<0-127>:v<0-127>:d<ticks>:t<ticks>)",
      "byte 43: malformed note 'x' (expected p<0-127>:v<0-127>:d<ticks>:t<ticks>)",
      "byte 45: malformed note 'p62:v90:d100:t0:t5' (expected p<0-127>:v<0-127>:d<ticks>:"
      "t<ticks>)",
      "byte 64: malformed note 'p:v:d:t' (expected p<0-127>:v<0-127>:d<ticks>:t<ticks>)",
      "byte 72: malformed note 'v90:p60:d1:t1' (expected p<0-127>:v<0-127>:d<ticks>:t<ticks>)",
      "byte 103: malformed note 'p64:v90:d-1:t0' (expected p<0-127>:v<0-127>:d<ticks>:"
      "t<ticks>)"};
  CHECK(r.diagnostics == expected);
  // Skipped tokens add no time: the valid t50 counts from the first note's onset.
  CHECK(r.sequence.notes == std::vector<NoteEvent>{NoteEvent{60, 90, 0, 100, 0, 0, 0},
                                                   NoteEvent{63, 90, 50, 100, 0, 0, 0}});
  CHECK(read_pvdt("p1:v1:d99999999999999999999:t0").diagnostics.size() == 1);
}
