// Valid tunes parse without diagnostics to exact bar durations (hand-computed, in units of L:),
// events carry their positions, and validity rates count tiers, repeats and truncation.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "metrics/abc/validity.hpp"

namespace abc = tb::metrics::abc;
using abc::Rational;

namespace {

std::vector<Rational> units(const abc::Tune& t, size_t voice = 0) {
  std::vector<Rational> out;
  for (const auto& b : t.voices.at(voice).bars) out.push_back(b.units);
  return out;
}

std::string dump(const abc::Tune& t) {
  std::string s;
  for (const auto& d : t.diagnostics) {
    s += std::string(abc::to_string(d.kind)) + "@" + std::to_string(d.pos.line) + ":" +
         std::to_string(d.pos.column) + " " + d.message + "; ";
  }
  return s;
}

}  // namespace

TEST_CASE("abc: a jig with pickup, triplet, broken rhythm, chord, grace and repeat") {
  const abc::Tune t = abc::parse_tune(
      "X:3\nT:Jig\nM:6/8\nL:1/8\nK:D\n"
      "A|d2e f2a|(3gfe d B>A G|[DF]2A {g}A2z|d3- d2:|\n");
  INFO(dump(t));
  CHECK(t.diagnostics.empty());
  CHECK(t.number == 3);
  // A = 1; d2 e f2 a = 6; (3gfe = 3 * 2/3 = 2, d, B>A = 3/2 + 1/2, G: 6; [DF]2 A A2 z = 6;
  // d3 d2 = 5 (with the pickup it makes a bar on the repeat).
  const std::vector<Rational> want = {1, 6, 6, 6, 5};
  CHECK(units(t) == want);
  CHECK(t.voices[0].bars[1].duration == Rational(3, 4));
  CHECK(t.voices[0].bars[1].meter == Rational(3, 4));
  CHECK(t.uses_repeats);
  CHECK_FALSE(t.truncated);
  const abc::Validity v = abc::validity(t);
  CHECK(v.level == 4);
}

TEST_CASE("abc: note lengths, broken rhythms and tuplets to exact fractions") {
  // M:none: bars are not checked, only measured.
  const abc::Tune t = abc::parse_tune(
      "X:1\nT:t\nM:none\nL:1/8\nK:C\n"
      "C/ D// E3/ F3/2 G/4|C>>D C<D|(3:2:2C2D2 E|(5CDEFG|[CE]3/2 [EG]/|z2 x2 Z|"
      "[L:1/16]C4|\n");
  INFO(dump(t));
  CHECK(t.diagnostics.empty());
  const std::vector<Rational> want = {
      4,                // 1/2 + 1/4 + 3/2 + 3/2 + 1/4
      4,                // 7/4 + 1/4 + 1/2 + 3/2
      Rational(11, 3),  // (3:2:2: two notes of 2 at 2/3, then E
      2,                // (5 in simple meter: q = 2, five notes at 2/5
      2,                // chord lengths: first note times the multiplier: 3/2 + 1/2
      4,                // z2 x2, and Z in free meter adds nothing
      4,                // C4 at L:1/16 is 4 units of 1/16
  };
  CHECK(units(t) == want);
  CHECK(t.voices[0].bars[6].duration == Rational(1, 4));
}

TEST_CASE("abc: (5 takes q = 3 in compound meter; multi-measure rests count as bars") {
  const abc::Tune t =
      abc::parse_tune("X:1\nT:t\nM:6/8\nL:1/8\nK:C\nABc def|(5ABcde f3|Z2|ABc def|]\n");
  INFO(dump(t));
  CHECK(t.diagnostics.empty());
  const std::vector<Rational> want = {6, 6, 12, 6};
  CHECK(units(t) == want);
  CHECK(t.voices[0].bars[2].measures == 2);
}

TEST_CASE("abc: endings, voices, inline fields and line continuation") {
  const abc::Tune t = abc::parse_tune(
      "X:2\nT:t\nM:3/4\nL:1/4\nV:S\nV:A\nK:G\n"
      "V:S\n|:G A B|\\\n[1 c2 B:|[2 c3|]\n"
      "V:A\n|:D E F|[1 G2 G:|[2 G3|]\n"
      "[V:S] [M:2/4] A B|]\n[V:A] [M:2/4] D E|]\n");
  INFO(dump(t));
  CHECK(t.diagnostics.empty());
  REQUIRE(t.voices.size() == 2);
  CHECK(t.voices[0].id == "S");
  CHECK(t.voices[1].id == "A");
  const std::vector<Rational> want = {3, 3, 3, 2};
  CHECK(units(t, 0) == want);
  CHECK(units(t, 1) == want);
  CHECK(t.voices[0].bars[1].ending == "1");
  CHECK(t.voices[0].bars[2].ending == "2");
  CHECK(t.voices[0].bars[2].after_repeat);
  CHECK(t.voices[0].bars[3].meter == Rational(1, 2));
  const abc::Validity v = abc::validity(t);
  CHECK(v.level == 4);
}

TEST_CASE("abc: events carry kinds, pitches and positions") {
  const abc::Tune t =
      abc::parse_tune("X:1\nT:t\nM:2/4\nL:1/8\nK:F\n\"Dm\"^c'2 _B,/ !trill!=e z|]\n");
  INFO(dump(t));
  CHECK(t.diagnostics.empty());
  std::vector<const abc::Event*> notes;
  for (const auto& e : t.events) {
    if (e.kind == abc::EventKind::Note) notes.push_back(&e);
  }
  REQUIRE(notes.size() == 3);
  CHECK(notes[0]->letter == 'c');
  CHECK(notes[0]->accidental == 1);
  CHECK(notes[0]->octave == 1);
  CHECK(notes[0]->length == Rational(2));
  CHECK(notes[0]->pos.line == 6);
  CHECK(notes[0]->pos.column == 5);
  CHECK(notes[1]->letter == 'B');
  CHECK(notes[1]->accidental == -1);
  CHECK(notes[1]->octave == -1);
  CHECK(notes[1]->length == Rational(1, 2));
  CHECK(notes[2]->accidental == 3);
  CHECK(notes[2]->pos.column == 22);  // the note starts at its accidental
  CHECK(t.events.front().kind == abc::EventKind::Field);
}

TEST_CASE("abc: validity rates over a set, repeats and truncation") {
  const std::string file =
      "X:1\nT:a\nM:4/4\nL:1/8\nK:C\n|:C8|D8:|\n\n"   // valid, repeats
      "X:2\nT:b\nM:4/4\nL:1/8\nK:C\nC8|D8|E4\n\n"    // valid, truncated mid-bar
      "X:3\nT:c\nM:4/4\nL:1/8\nK:C\nC8|D7|E8|]\n\n"  // bar too short: tier 3
      "X:4\nM:4/4\nL:1/8\nK:C\nC8|[CE|]\n";          // no T: (tier 2), unclosed chord (tier 1)
  const std::vector<abc::Tune> tunes = abc::parse_file(file);
  REQUIRE(tunes.size() == 4);
  CHECK(tunes[1].truncated);
  CHECK_FALSE(tunes[0].truncated);
  const abc::ValidityRates r = abc::validity_rates(tunes);
  CHECK(r.tunes == 4);
  CHECK(r.tier[1] == doctest::Approx(0.75));
  CHECK(r.tier[2] == doctest::Approx(0.75));
  CHECK(r.tier[3] == doctest::Approx(0.75));
  CHECK(r.tier[4] == doctest::Approx(1.0));
  CHECK(r.level_at_least[1] == doctest::Approx(0.75));
  CHECK(r.level_at_least[3] == doctest::Approx(0.5));
  CHECK(r.uses_repeats == doctest::Approx(0.25));
  CHECK(r.truncated == doctest::Approx(0.25));
}

TEST_CASE("abc: lengths with coprime denominators saturate instead of overflowing") {
  std::string music;
  for (int d : {4093, 4091, 4079, 4073, 4057, 4051, 4049, 4027}) {
    music += "C/" + std::to_string(d) + " ";
  }
  const abc::Tune t = abc::parse_tune("X:1\nT:t\nM:4/4\nL:1/8\nK:C\nC8|" + music + "|C8|]\n");
  REQUIRE(t.voices.size() == 1);
  REQUIRE(t.voices[0].bars.size() == 3);
  CHECK(t.voices[0].bars[1].duration == abc::Rational::saturated());
  bool too_long = false;
  for (const auto& d : t.diagnostics) too_long |= d.kind == abc::DiagKind::BarTooLong;
  CHECK(too_long);
  CHECK(abc::Rational(1, 3) + abc::Rational(1, 6) == abc::Rational(1, 2));
  CHECK(abc::Rational(3, 4) > abc::Rational(2, 3));
}

TEST_CASE("abc: bar texts for bar-level repetition") {
  const abc::Tune t =
      abc::parse_tune("X:1\nT:t\nM:2/4\nL:1/8\nK:C\n\"C\"CD EF|!trill!CD EF|(3GAB c|CD EF|]\n");
  const std::vector<std::string> want = {"CDEF", "CDEF", "(3GABc", "CDEF"};
  CHECK(abc::bar_texts(t) == want);
}
