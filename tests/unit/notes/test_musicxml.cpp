// MusicXML reading: small scores worked out by hand (chords, backup/forward, ties, divisions
// changes, tuplets, pickups, errors), and the committed files of data/golden/musicxml (made by
// music21 from the shared ABC and MIDI data) against music21's own notes of them
// (tools/musicxml_golden.py): part, MIDI pitch, onset and duration, exactly.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <string>
#include <tuple>
#include <vector>

#include "metrics/notes/musicxml.hpp"
#include "tests/unit/test_paths.hpp"

namespace {

namespace fs = std::filesystem;
using tb::notes::NoteSequence;
using tb::notes::ParseError;

std::string score(const std::string& parts_xml, const std::string& part_list =
                                                    "<score-part id=\"P1\"><part-name>A</part-name>"
                                                    "</score-part>") {
  return "<?xml version=\"1.0\"?><score-partwise version=\"4.0\"><part-list>" + part_list +
         "</part-list>" + parts_xml + "</score-partwise>";
}

std::string note(const char* step, int octave, int duration, const std::string& extra = "") {
  return "<note>" + extra + "<pitch><step>" + step + "</step><octave>" + std::to_string(octave) +
         "</octave></pitch><duration>" + std::to_string(duration) + "</duration></note>";
}

// (track, pitch, start, duration) of every note, sorted.
std::vector<std::tuple<int, int, int64_t, int64_t>> tuples(const NoteSequence& s) {
  std::vector<std::tuple<int, int, int64_t, int64_t>> out;
  for (const auto& n : s.notes) out.emplace_back(n.track, n.pitch, n.start, n.duration);
  std::sort(out.begin(), out.end());
  return out;
}

// "3/2" -> {3, 2}
std::pair<int64_t, int64_t> fraction(const std::string& s) {
  const size_t slash = s.find('/');
  return {std::stoll(s.substr(0, slash)), std::stoll(s.substr(slash + 1))};
}

}  // namespace

TEST_CASE("musicxml: pitches, chords, backup and forward, ties, divisions") {
  const std::string xml = score(
      "<part id=\"P1\"><measure number=\"1\"><attributes><divisions>2</divisions>"
      "<time><beats>3</beats><beat-type>4</beat-type></time></attributes>"
      "<direction><sound tempo=\"90\"/></direction>" +
      note("C", 4, 2) +              // C4 quarter at 0
      note("E", 4, 2, "<chord/>") +  // E4 with it
      "<note><pitch><step>F</step><alter>1</alter><octave>4</octave></pitch>"
      "<duration>1</duration></note>" +               // F#4 eighth at 2
      "<note><rest/><duration>1</duration></note>" +  // rest at 3
      "<backup><duration>4</duration></backup>" +     // back to 0: a second voice
      note("G", 3, 4) +                               // G3 half at 0
      "<forward><duration>2</duration></forward>" +   // to 6 (end of the 3/4 bar)
      "</measure><measure number=\"2\"><attributes><divisions>3</divisions></attributes>" +
      note("B", 4, 3, "") +  // B4 quarter at 6 (in halves)
      "<note><pitch><step>A</step><octave>4</octave></pitch><duration>6</duration>"
      "<tie type=\"start\"/></note>" +  // A4 half, tied
      "</measure><measure number=\"3\">" +
      "<note><pitch><step>A</step><octave>4</octave></pitch><duration>3</duration>"
      "<tie type=\"stop\"/></note>" +  // ... plus a quarter
      "<note><grace/><pitch><step>D</step><octave>5</octave></pitch></note>" +
      "<note><pitch><step>B</step><alter>-1</alter><octave>4</octave></pitch><time-modification>"
      "<actual-notes>3</actual-notes><normal-notes>2</normal-notes></time-modification>"
      "<duration>2</duration></note>" +  // a triplet eighth
      "</measure></part>");
  const NoteSequence s = tb::notes::parse_musicxml(xml, "test.musicxml");
  CHECK(s.ticks_per_quarter == 6);  // lcm(2, 3)
  // Ticks: 6 per quarter. Measure 1 lasts 3 quarters = 18 ticks.
  const std::vector<std::tuple<int, int, int64_t, int64_t>> expected = {
      {0, 55, 0, 12},   // G3 half
      {0, 60, 0, 6},    // C4
      {0, 64, 0, 6},    // E4
      {0, 66, 6, 3},    // F#4 eighth
      {0, 69, 24, 18},  // A4 half tied to a quarter: 3 quarters from 18 + 6
      {0, 70, 42, 4},   // Bb4 triplet eighth (2/3 of a quarter) after the tied quarter
      {0, 71, 18, 6},   // B4
  };
  CHECK(tuples(s) == expected);
  REQUIRE(s.time_signatures.size() == 1);
  CHECK(s.time_signatures[0].numerator == 3);
  REQUIRE(s.tempos.size() == 1);
  CHECK(s.tempos[0].us_per_quarter == 666667);
  REQUIRE(s.tracks.size() == 1);
  CHECK(s.tracks[0].name == "A");
}

TEST_CASE("musicxml: parts are tracks; a pickup measure lasts what it holds") {
  const std::string parts =
      "<part id=\"P1\"><measure number=\"0\"><attributes><divisions>1</divisions></attributes>" +
      note("D", 5, 1) + "</measure><measure number=\"1\">" + note("E", 5, 4) +
      "</measure></part><part id=\"P2\"><measure number=\"0\"><attributes><divisions>1"
      "</divisions></attributes><note><rest/><duration>1</duration></note></measure>"
      "<measure number=\"1\">" +
      note("C", 3, 4) + "</measure></part>";
  const NoteSequence s = tb::notes::parse_musicxml(
      score(parts,
            "<score-part id=\"P1\"/><score-part id=\"P2\"><midi-instrument id=\"i\">"
            "<midi-channel>10</midi-channel></midi-instrument></score-part>"),
      "two.musicxml");
  const std::vector<std::tuple<int, int, int64_t, int64_t>> expected = {
      {0, 74, 0, 1}, {0, 76, 1, 4}, {1, 48, 1, 4}};
  CHECK(tuples(s) == expected);
  CHECK(s.notes.back().channel == 9);
}

TEST_CASE("musicxml: malformed input names the file and the place") {
  auto message = [](const std::string& bytes) {
    try {
      tb::notes::parse_musicxml(bytes, "bad.musicxml");
    } catch (const ParseError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(message("<score-partwise><part-list>").find("bad.musicxml: byte ") == 0);
  CHECK(message("<score-partwise><part-list>").find("not well-formed XML") != std::string::npos);
  CHECK(message("<score-timewise/>").find("score-timewise") != std::string::npos);
  CHECK(message("<html/>").find("<html> is not <score-partwise>") != std::string::npos);
  CHECK(message(score("<part id=\"P1\"><measure><note><pitch><step>C</step><octave>4</octave>"
                      "</pitch><duration>-3</duration></note></measure></part>"))
            .find("<duration> is not a non-negative number: '-3'") != std::string::npos);
  CHECK(message(score("<part id=\"P1\"><measure><attributes><divisions>0</divisions>"
                      "</attributes></measure></part>"))
            .find("<divisions> must be at least 1") != std::string::npos);
  CHECK(message(std::string("PK\x03\x04garbage", 11)).find("not a valid .mxl zip") !=
        std::string::npos);
}

// Issue 31: inputs that were read into garbage with exit 0.
std::string divisions_score(const std::string& a, const std::string& b) {
  return score("<part id=\"P1\"><measure><attributes><divisions>" + a +
               "</divisions></attributes>" + note("C", 4, 1) +
               "</measure><measure><attributes><divisions>" + b + "</divisions></attributes>" +
               note("D", 4, 1) + "</measure></part>");
}

std::string parse_message(const std::string& bytes) {
  try {
    tb::notes::parse_musicxml(bytes, "bad.musicxml");
  } catch (const ParseError& e) {
    return e.what();
  }
  return "no error";
}

TEST_CASE("musicxml: <divisions> whose lcm overflows are refused, not wrapped") {
  // lcm(3, 2^62) wrapped to a negative grid that passed the check (avg_IOI 8.8e17 s, exit 0).
  CHECK(parse_message(divisions_score("3", "4611686018427387904")).find("<divisions> is above") !=
        std::string::npos);
  CHECK(parse_message(divisions_score("3", "1e300")).find("<divisions> is above") !=
        std::string::npos);
  CHECK(parse_message(divisions_score("4096", "4097")).find("no common grid") != std::string::npos);
  // A legitimate pair still shares a grid.
  const NoteSequence s = tb::notes::parse_musicxml(divisions_score("3", "8"), "ok.musicxml");
  CHECK(s.ticks_per_quarter == 24);
  CHECK(tuples(s) ==
        std::vector<std::tuple<int, int, int64_t, int64_t>>{{0, 60, 0, 8}, {0, 62, 8, 3}});
}

TEST_CASE("musicxml: a document with two root elements is not XML") {
  const std::string one =
      score("<part id=\"P1\"><measure>" + note("C", 4, 1) + "</measure></part>");
  CHECK_NOTHROW(tb::notes::parse_musicxml(one, "one.musicxml"));
  CHECK(parse_message(one + "<score-partwise/>").find("a second root element <score-partwise>") !=
        std::string::npos);
  CHECK(parse_message(one + "<!-- a comment after the root is fine -->") == "no error");
}

TEST_CASE("musicxml: the committed files equal music21's notes of them") {
  const fs::path dir = tb::test::source_dir() / "data/golden/musicxml";
  std::ifstream in(dir / "music21_notes.json");
  REQUIRE(in.good());
  const nlohmann::json golden = nlohmann::json::parse(in);
  size_t files = 0, notes = 0, mxl = 0;
  for (const auto& [name, expected] : golden["files"].items()) {
    INFO(name);
    const NoteSequence s = tb::notes::read_musicxml_file(dir / name);
    mxl += name.ends_with(".mxl") ? 1 : 0;
    // music21's onset and duration are quarter-note fractions: compare t / tpq == num / den.
    std::vector<std::tuple<int, int, int64_t, int64_t>> ours = tuples(s);
    std::vector<std::tuple<int, int, int64_t, int64_t>> theirs;
    for (const auto& row : expected) {
      const auto [on_num, on_den] = fraction(row[2].get<std::string>());
      const auto [du_num, du_den] = fraction(row[3].get<std::string>());
      const int64_t tpq = s.ticks_per_quarter;
      // Not on our grid: cannot be equal; keep a value that will differ.
      const int64_t onset = (on_num * tpq) % on_den == 0 ? on_num * tpq / on_den : -1;
      const int64_t duration = (du_num * tpq) % du_den == 0 ? du_num * tpq / du_den : -1;
      theirs.emplace_back(row[0].get<int>(), row[1].get<int>(), onset, duration);
    }
    std::sort(theirs.begin(), theirs.end());
    CHECK(ours.size() == theirs.size());
    size_t first_diff = 0;
    while (first_diff < ours.size() && first_diff < theirs.size() &&
           ours[first_diff] == theirs[first_diff]) {
      ++first_diff;
    }
    if (first_diff < std::min(ours.size(), theirs.size())) {
      const auto& [t1, p1, o1, d1] = ours[first_diff];
      const auto& [t2, p2, o2, d2] = theirs[first_diff];
      FAIL_CHECK("first difference at note " << first_diff << ": ours (" << t1 << "," << p1 << ","
                                             << o1 << "," << d1 << ") music21 (" << t2 << "," << p2
                                             << "," << o2 << "," << d2 << ")");
    }
    files += ours == theirs ? 1 : 0;
    notes += ours.size();
  }
  MESSAGE(files << " of " << golden["files"].size() << " files (" << mxl << " .mxl) equal, "
                << notes << " notes");
  CHECK(files == golden["files"].size());
  CHECK(files >= 20);
  CHECK(mxl >= 4);
}
