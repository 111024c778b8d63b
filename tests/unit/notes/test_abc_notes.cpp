// ABC tunes played into notes, checked against pitches and ticks worked out by hand
// (C = 60, 480 ticks per quarter, so an eighth is 240).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "metrics/abc/abc.hpp"
#include "metrics/notes/abc_key.hpp"
#include "metrics/notes/abc_notes.hpp"

namespace {

using tb::notes::NoteSequence;

NoteSequence play(const std::string& body, const std::string& header = "M:4/4\nL:1/8\nK:C\n") {
  return tb::notes::abc_to_notes(tb::metrics::abc::parse_tune("X:1\nT:t\n" + header + body));
}

std::vector<int> pitches(const NoteSequence& s) {
  std::vector<int> out;
  for (const auto& n : s.notes) out.push_back(n.pitch);
  return out;
}
std::vector<int64_t> starts(const NoteSequence& s) {
  std::vector<int64_t> out;
  for (const auto& n : s.notes) out.push_back(n.start);
  return out;
}
std::vector<int64_t> durations(const NoteSequence& s) {
  std::vector<int64_t> out;
  for (const auto& n : s.notes) out.push_back(n.duration);
  return out;
}

}  // namespace

TEST_CASE("abc notes: pitches and octaves") {
  const auto s = play("C, C c c' B,, z|\n");
  CHECK(pitches(s) == std::vector<int>{48, 60, 72, 84, 47});
  CHECK(starts(s) == std::vector<int64_t>{0, 240, 480, 720, 960});
  CHECK(s.ticks_per_quarter == 480);
}

TEST_CASE("abc notes: accidentals hold for their letter and octave until the bar line") {
  const auto s = play("^F F f G =F F _B B|F ^^G G __A A|\n");
  CHECK(pitches(s) == std::vector<int>{66, 66, 77, 67, 65, 65, 70, 70, 65, 69, 69, 67, 67});
}

TEST_CASE("abc notes: key signatures and modes") {
  CHECK(pitches(play("F C f c G|\n", "M:4/4\nL:1/8\nK:D\n")) ==
        std::vector<int>{66, 61, 78, 73, 67});
  CHECK(pitches(play("B E A D|\n", "M:4/4\nL:1/8\nK:Bb\n")) == std::vector<int>{70, 63, 69, 62});
  // A Dorian and E Mixolydian have G major's and A major's signatures.
  CHECK(pitches(play("F C G|\n", "M:4/4\nL:1/8\nK:Ador\n")) == std::vector<int>{66, 60, 67});
  CHECK(pitches(play("F C G|\n", "M:4/4\nL:1/8\nK:EMix\n")) == std::vector<int>{66, 61, 68});
  CHECK(pitches(play("B E A|\n", "M:4/4\nL:1/8\nK:C minor\n")) == std::vector<int>{70, 63, 68});
  CHECK(pitches(play("F B|\n", "M:4/4\nL:1/8\nK:D exp _b\n")) == std::vector<int>{65, 70});
  CHECK(pitches(play("F C|\n", "M:4/4\nL:1/8\nK:D =c\n")) == std::vector<int>{66, 60});
  // An inline key change applies from there on.
  CHECK(pitches(play("F [K:G] F|\n")) == std::vector<int>{65, 66});

  using tb::notes::KeySignature;
  CHECK(tb::notes::parse_key_signature("F#m") == KeySignature{1, 0, 0, 1, 1, 0, 0});
  CHECK(tb::notes::parse_key_signature("Cb") == KeySignature{-1, -1, -1, -1, -1, -1, -1});
  CHECK(tb::notes::parse_key_signature("Bloc") == KeySignature{});
  CHECK(tb::notes::parse_key_signature("Hp") == KeySignature{1, 0, 0, 1, 0, 0, 0});
  CHECK(tb::notes::parse_key_signature("none") == KeySignature{});
  CHECK_FALSE(tb::notes::parse_key_signature("clef=bass").has_value());
}

TEST_CASE("abc notes: ties merge notes, across bar lines with the accidental") {
  const auto s = play("C2-C2 D2-|D2 ^F-|F G|\n");
  CHECK(pitches(s) == std::vector<int>{60, 62, 66, 67});
  CHECK(starts(s) == std::vector<int64_t>{0, 960, 1920, 2400});
  CHECK(durations(s) == std::vector<int64_t>{960, 960, 480, 240});
  // A tie to a different pitch is dropped.
  CHECK(pitches(play("C-D|\n")) == std::vector<int>{60, 62});
}

TEST_CASE("abc notes: tuplets") {
  const auto s = play("(3CDE F (3:2:2 GA B|\n");
  CHECK(starts(s) == std::vector<int64_t>{0, 160, 320, 480, 720, 880, 1040});
  CHECK(durations(s) == std::vector<int64_t>{160, 160, 160, 240, 160, 160, 240});
  // In compound meter (2 takes three eighths' time, (5 too.
  const auto c = play("(2CD E (5CDEFG|\n", "M:6/8\nL:1/8\nK:C\n");
  CHECK(starts(c) == std::vector<int64_t>{0, 360, 720, 960, 1104, 1248, 1392, 1536});
  CHECK(c.time_signatures.size() == 1);
  CHECK(c.time_signatures[0].numerator == 6);
  CHECK(c.time_signatures[0].denominator == 8);
}

TEST_CASE("abc notes: broken rhythm") {
  const auto s = play("C>D E<F G>>A|\n");
  CHECK(starts(s) == std::vector<int64_t>{0, 360, 480, 600, 960, 1380});
  CHECK(durations(s) == std::vector<int64_t>{360, 120, 120, 360, 420, 60});
}

TEST_CASE("abc notes: chords, grace notes and rests") {
  const auto s = play("[CEG]2 [C2E]/2 {ga}B z2 [ce]|\n");
  CHECK(pitches(s) == std::vector<int>{60, 64, 67, 60, 64, 71, 72, 76});
  CHECK(starts(s) == std::vector<int64_t>{0, 0, 0, 480, 480, 720, 1440, 1440});
  CHECK(durations(s) == std::vector<int64_t>{480, 480, 480, 240, 120, 240, 240, 240});
}

TEST_CASE("abc notes: voices are tracks; inline L:; tempo") {
  const auto s =
      play("V:1\nC D [L:1/4] E|\nV:2\nE, F,|\n", "M:3/4\nL:1/8\nQ:1/4=60\nV:1\nV:2\nK:G\n");
  REQUIRE(s.tracks.size() == 2);
  CHECK(s.tracks[0].name == "1");
  CHECK(s.tracks[1].name == "2");
  CHECK(pitches(s) == std::vector<int>{60, 62, 64, 52, 54});
  CHECK(starts(s) == std::vector<int64_t>{0, 240, 480, 0, 240});
  CHECK(durations(s)[2] == 480);
  CHECK(s.notes[3].track == 1);
  REQUIRE(s.tempos.size() == 1);
  CHECK(s.tempos[0].us_per_quarter == 1000000);
}
