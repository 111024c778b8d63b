// Hand-written broken tunes, one fault each: the parser reports the expected diagnostic at the
// expected line and column (1-based, in bytes), and no other fault comes before it.
#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

#include "metrics/abc/validity.hpp"

namespace abc = tb::metrics::abc;
using abc::DiagKind;

namespace {

struct Broken {
  const char* name;
  std::string text;
  DiagKind kind;
  int line;
  int column;
};

// Header lines 1-5; the music starts on line 6.
const std::string H = "X:1\nT:t\nM:4/4\nL:1/8\nK:C\n";

std::string dump(const abc::Tune& t) {
  std::ostringstream ss;
  for (const auto& d : t.diagnostics) {
    ss << abc::to_string(d.kind) << "@" << d.pos.line << ":" << d.pos.column << " " << d.message
       << "; ";
  }
  return ss.str();
}

const std::vector<Broken>& broken_tunes() {
  static const std::vector<Broken> cases = {
      // Chords, quotes, slurs, grace groups, decorations, inline fields.
      {"unclosed chord", H + "CDEF [CEG CD|]\n", DiagKind::UnclosedChord, 6, 6},
      {"unclosed chord at end of line", H + "[CEG\nC8|]\n", DiagKind::UnclosedChord, 6, 1},
      {"unclosed quote", H + "\"Am CDEF|]\n", DiagKind::UnclosedQuote, 6, 1},
      {"unclosed annotation", H + "C8 \"^fine|]\n", DiagKind::UnclosedQuote, 6, 4},
      {"unclosed slur", H + "(CDEF GABc|]\n", DiagKind::UnclosedSlur, 6, 1},
      {"unclosed slur across lines", H + "C8|\nc8|(C8|]\n", DiagKind::UnclosedSlur, 7, 4},
      {"unmatched slur", H + "CDEF) GABc|]\n", DiagKind::UnmatchedSlur, 6, 5},
      {"unclosed grace", H + "{gCDEF GABc|]\n", DiagKind::UnclosedGrace, 6, 1},
      {"unclosed grace over a bar line", H + "{g|C8|]\n", DiagKind::UnclosedGrace, 6, 1},
      {"unclosed !decoration!", H + "!trill CDEF|]\n", DiagKind::UnclosedDecoration, 6, 1},
      {"unclosed +decoration+", H + "+trill CDEF|]\n", DiagKind::UnclosedDecoration, 6, 1},
      {"unclosed inline field", H + "[K:G CDEF|]\n", DiagKind::UnclosedField, 6, 1},
      {"grace group inside a chord", H + "[C{E}G]8|]\n", DiagKind::NestedChord, 6, 3},
      {"chord inside a chord", H + "[C[E]G]8|]\n", DiagKind::NestedChord, 6, 3},
      {"grace group inside a grace group", H + "{g{a}}C8|]\n", DiagKind::NestedChord, 6, 3},
      {"empty chord", H + "[]C8|]\n", DiagKind::EmptyChord, 6, 1},
      {"empty grace group", H + "{}C8|]\n", DiagKind::EmptyChord, 6, 1},
      {"unmatched ]", H + "C8]|]\n", DiagKind::UnmatchedBracket, 6, 3},
      {"unmatched }", H + "C8}|]\n", DiagKind::UnmatchedBracket, 6, 3},
      {"rest inside a chord", H + "[Cz]8|]\n", DiagKind::UnknownCharacter, 6, 3},
      // Lengths, accidentals, octaves.
      {"length C/0", H + "C/0 D7|]\n", DiagKind::BadLength, 6, 2},
      {"length C0", H + "C0 D7|]\n", DiagKind::BadLength, 6, 2},
      {"length C/2/", H + "C/2/ D7|]\n", DiagKind::BadLength, 6, 2},
      {"length beyond 4096", H + "C5000|]\n", DiagKind::BadLength, 6, 2},
      {"chord length [CE]0", H + "[CE]0 C8|]\n", DiagKind::BadLength, 6, 5},
      {"length after a space", H + "C4 /2 D4|]\n", DiagKind::BadLength, 6, 4},
      {"stray digit", H + "C4 3 D4|]\n", DiagKind::BadLength, 6, 4},
      {"multi-measure rest Z0", H + "Z0|]\n", DiagKind::BadLength, 6, 2},
      {"sharp on a rest", H + "^z C8|]\n", DiagKind::BadAccidental, 6, 1},
      {"triple sharp", H + "^^^C8|]\n", DiagKind::BadAccidental, 6, 1},
      {"triple flat", H + "C4 ___D4|]\n", DiagKind::BadAccidental, 6, 4},
      {"natural before a bar line", H + "C8 =|]\n", DiagKind::BadAccidental, 6, 4},
      {"flat before a chord", H + "_[CE]8|]\n", DiagKind::BadAccidental, 6, 1},
      {"comma after a space", H + "C8 ,|]\n", DiagKind::BadOctave, 6, 4},
      {"apostrophe after a rest", H + "z8'|]\n", DiagKind::BadOctave, 6, 3},
      {"both octave marks", H + "c',8|]\n", DiagKind::BadOctave, 6, 1},
      {"comma after a chord", H + "[CE],8|]\n", DiagKind::BadOctave, 6, 5},
      // Tuplets, broken rhythm, ties, decorations.
      {"tuplet (1", H + "(1C8|]\n", DiagKind::BadTuplet, 6, 1},
      {"tuplet (0", H + "(0C8|]\n", DiagKind::BadTuplet, 6, 1},
      {"tuplet (10", H + "(10C8|]\n", DiagKind::BadTuplet, 6, 1},
      {"tuplet (3:0", H + "(3:0CDE C5|]\n", DiagKind::BadTuplet, 6, 1},
      {"tuplet (3::0", H + "(3::0CDE C5|]\n", DiagKind::BadTuplet, 6, 1},
      {"nested tuplet", H + "(3C(3DEF C4|]\n", DiagKind::BadTuplet, 6, 4},
      {"unfinished tuplet", H + "C6 (3DE|]\n", DiagKind::BadTuplet, 6, 4},
      {"broken rhythm first", H + ">C8|]\n", DiagKind::BadBrokenRhythm, 6, 1},
      {"broken rhythm before a bar line", H + "C7>|]\n", DiagKind::BadBrokenRhythm, 6, 3},
      {"broken rhythm >>>>", H + "C4>>>>D4|]\n", DiagKind::BadBrokenRhythm, 6, 3},
      {"broken rhythm after a bar line", H + "C8|>C8|]\n", DiagKind::BadBrokenRhythm, 6, 4},
      {"tie first", H + "-C8|]\n", DiagKind::TieWithoutNote, 6, 1},
      {"tie after a bar line", H + "C8|-C8|]\n", DiagKind::TieWithoutNote, 6, 4},
      {"roll before a slur", H + "~(CDEF GABc)|]\n", DiagKind::DecorationWithoutNote, 6, 1},
      {"trill before broken rhythm", H + "C4 T> D4|]\n", DiagKind::DecorationWithoutNote, 6, 4},
      {"!fermata! before a tie", H + "C8!fermata!-|]\n", DiagKind::DecorationWithoutNote, 6, 3},
      // Characters.
      {"dollar", H + "C4 $ D4|]\n", DiagKind::UnknownCharacter, 6, 4},
      {"letter Y", H + "C4 Y D4|]\n", DiagKind::UnknownCharacter, 6, 4},
      {"non-ASCII", H + "C4 \xc3\xa9 D4|]\n", DiagKind::UnknownCharacter, 6, 4},
      {"backslash in mid line", H + "C4 \\ D4|]\n", DiagKind::BadContinuation, 6, 4},
      // Fields.
      {"unreadable meter", "X:1\nT:t\nM:x/4\nL:1/8\nK:C\nC8|]\n", DiagKind::BadField, 3, 1},
      {"unit length 1/0", "X:1\nT:t\nM:4/4\nL:1/0\nK:C\nC8|]\n", DiagKind::BadField, 4, 1},
      {"key Q", "X:1\nT:t\nM:4/4\nL:1/8\nK:Q\nC8|]\n", DiagKind::BadField, 5, 1},
      {"key mode xyz", "X:1\nT:t\nM:4/4\nL:1/8\nK:Gxyz\nC8|]\n", DiagKind::BadField, 5, 1},
      {"inline meter", H + "[M:abc] C8|]\n", DiagKind::BadField, 6, 1},
      {"voice without id", H + "V:\nC8|]\n", DiagKind::BadField, 6, 1},
      {"missing K: before music", "X:1\nT:t\nM:4/4\nL:1/8\nC8|]\n", DiagKind::MissingKey, 5, 1},
      {"missing K: and music", "X:1\nT:t\nM:4/4\n", DiagKind::MissingKey, 3, 1},
      {"X: not first", "T:t\nX:1\nM:4/4\nL:1/8\nK:C\nC8|]\n", DiagKind::MissingNumber, 1, 1},
      {"X: not a number", "X:one\nT:t\nM:4/4\nL:1/8\nK:C\nC8|]\n", DiagKind::MissingNumber, 1, 1},
      {"missing title", "X:1\nM:4/4\nL:1/8\nK:C\nC8|]\n", DiagKind::MissingTitle, 4, 1},
      {"missing meter", "X:1\nT:t\nL:1/8\nK:C\nC8|]\n", DiagKind::MissingMeter, 4, 1},
      {"missing unit length", "X:1\nT:t\nM:4/4\nK:C\nC8|]\n", DiagKind::MissingUnitLength, 4, 1},
      {"R: after K:", "X:1\nT:t\nM:4/4\nL:1/8\nK:C\nR:reel\nC8|]\n", DiagKind::FieldAfterKey, 6, 1},
      {"composer in the body", H + "C8|\nC:Anon\nC8|]\n", DiagKind::MisplacedField, 7, 1},
      {"lyrics in the header", "X:1\nT:t\nw:la la\nM:4/4\nL:1/8\nK:C\nC8|]\n",
       DiagKind::MisplacedField, 3, 1},
      {"inline title", H + "C8|[T:x] C8|]\n", DiagKind::MisplacedField, 6, 4},
      // Bars, repeats, endings, voices.
      {"bar too long", H + "C8|C9|C8|]\n", DiagKind::BarTooLong, 6, 4},
      {"bar too short", H + "C8|C7|C8|]\n", DiagKind::BarTooShort, 6, 4},
      {"triplet bar too short", H + "C8|(3CDE C5|C8|]\n", DiagKind::BarTooShort, 6, 4},
      {"broken rhythm bar too short", H + "C8|C>D C>D C>D C|C8|]\n", DiagKind::BarTooShort, 6, 4},
      {"bar too long in 6/8", "X:1\nT:t\nM:6/8\nL:1/8\nK:C\nA|B3 c3|d3 e3 f|g6|]\n",
       DiagKind::BarTooLong, 6, 9},
      {"second pass too long", H + "C8|C4 :|\n", DiagKind::BarTooLong, 6, 4},
      {"|: never closed", H + "|:C8|C8|]\n", DiagKind::UnbalancedRepeat, 6, 1},
      {"|: after |:", H + "|:C8|:C8:|\n", DiagKind::UnbalancedRepeat, 6, 5},
      {"[1 after :| without |:", H + "|:C8:|C8|[1 C8:|[2 C8|]\n", DiagKind::UnbalancedRepeat, 6,
       10},
      {"[2 without [1", H + "C8|[2 C8|]\n", DiagKind::EndingWithoutRepeat, 6, 4},
      {"[1 never closed", H + "C8|[1 C8|]\n", DiagKind::EndingWithoutRepeat, 6, 4},
      {"voices with different bar counts",
       "X:1\nT:t\nM:4/4\nL:1/8\nV:1\nV:2\nK:C\nV:1\nC8|C8|]\nV:2\nC8|]\n",
       DiagKind::VoicesMisaligned, 11, 1},
  };
  return cases;
}

}  // namespace

TEST_CASE("abc: broken tunes give the expected diagnostic and position") {
  const auto& cases = broken_tunes();
  CHECK(cases.size() >= 60);
  size_t ok = 0;
  for (const Broken& b : cases) {
    const std::string name = b.name;
    CAPTURE(name);
    const abc::Tune t = abc::parse_tune(b.text);
    INFO("diagnostics: " << dump(t));
    bool found = false;
    for (const auto& d : t.diagnostics) {
      if (d.kind == b.kind && d.pos.line == b.line && d.pos.column == b.column) found = true;
    }
    CHECK(found);
    // One fault each: nothing is reported before the expected diagnostic.
    CHECK_FALSE(t.diagnostics.empty());
    if (t.diagnostics.empty()) continue;
    const auto& first = t.diagnostics.front();
    CHECK(first.kind == b.kind);
    // The tier the fault breaks is broken (slurs are warnings and break none; a missing M: or
    // L: has an ABC 2.1 default and only fails the all-fields rate).
    // R: right after K: is a body field under ABC 2.1, so it is reported but breaks no tier.
    const abc::Validity v = abc::validity(t);
    const bool body_field = name == "R: after K:";
    const int tier = body_field ? 0 : abc::validity_tier(b.kind);
    if (tier > 0) CHECK_FALSE(v.tier[tier]);
    if (body_field) CHECK(v.tier[2]);
    if (b.kind == DiagKind::MissingMeter || b.kind == DiagKind::MissingUnitLength) {
      CHECK(v.tier[2]);
      CHECK_FALSE(v.all_header_fields);
    }
    ok += found ? 1 : 0;
  }
  MESSAGE(ok << " of " << cases.size() << " broken tunes diagnosed as expected");
}

TEST_CASE("abc: diagnostics carry file positions when the tune is not at the file start") {
  const std::string file = "% a file header comment\n\nX:7\nT:t\nM:4/4\nL:1/8\nK:C\nC8|C8 [CE|]\n";
  const auto tunes = abc::split_tunes(file);
  REQUIRE(tunes.size() == 1);
  CHECK(tunes[0].first_line == 3);
  CHECK(tunes[0].offset == 25);
  const abc::Tune t = abc::parse_tune(tunes[0]);
  CHECK(t.number == 7);
  REQUIRE(t.diagnostics.size() == 1);
  CHECK(t.diagnostics[0].kind == DiagKind::UnclosedChord);
  CHECK(t.diagnostics[0].pos.line == 8);
  CHECK(t.diagnostics[0].pos.column == 7);
  // Byte offset in the file: the line starts at 25 + 4*4 ("X:7\n" "T:t\n" ...) + 4 ("K:C\n").
  CHECK(t.diagnostics[0].pos.offset == file.find("[CE"));
}
