// The C++ MIDI reader against notes that mido read from real files (tools/midi_notes_golden.py
// wrote data/golden/notes/<set>/<name>.notes; the MIDI files themselves stay in ../shared).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "metrics/notes/midi_file.hpp"
#include "tests/unit/test_paths.hpp"

namespace fs = std::filesystem;
using tb::notes::NoteEvent;
using tb::notes::NoteSequence;

namespace {

// Parses one golden file into the NoteSequence the reader must return (track names aside).
NoteSequence read_golden(const fs::path& path) {
  NoteSequence seq;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string kind;
    fields >> kind;
    if (kind == "ticks_per_quarter") {
      fields >> seq.ticks_per_quarter;
    } else if (kind == "tempo") {
      auto& t = seq.tempos.emplace_back();
      fields >> t.tick >> t.us_per_quarter;
    } else if (kind == "time_signature") {
      auto& t = seq.time_signatures.emplace_back();
      fields >> t.tick >> t.numerator >> t.denominator;
    } else if (kind == "track") {
      size_t index = 0;
      fields >> index;
      seq.tracks.resize(index + 1);
      fields >> seq.tracks[index].program >> seq.tracks[index].end_tick;
    } else if (kind == "note") {
      auto& n = seq.notes.emplace_back();
      fields >> n.pitch >> n.velocity >> n.start >> n.duration >> n.channel >> n.track >> n.program;
    }
    REQUIRE_MESSAGE(!fields.fail(), path.string() << ": bad golden line '" << line << "'");
  }
  return seq;
}

}  // namespace

TEST_CASE("the MIDI reader returns exactly the notes mido reads from real files" *
          doctest::skip(!tb::test::have_shared())) {
  const fs::path golden_root = tb::test::source_dir() / "data/golden/notes";
  const fs::path midi_root = tb::test::shared_data() / "midi";
  int files = 0;
  int openmsx = 0;
  for (const auto& entry : fs::recursive_directory_iterator(golden_root)) {
    if (entry.path().extension() != ".notes") continue;
    const std::string set = entry.path().parent_path().filename().string();
    const std::string midi_name = entry.path().stem().string() + ".mid";
    const fs::path midi =
        set == "js-fakes" ? midi_root / "js-fakes/midi" / midi_name : midi_root / set / midi_name;
    CAPTURE(midi);
    const NoteSequence expected = read_golden(entry.path());
    NoteSequence got = tb::notes::read_midi_file(midi);
    for (auto& track : got.tracks) track.name.clear();  // names are not in the goldens
    CHECK(got.ticks_per_quarter == expected.ticks_per_quarter);
    CHECK(got.tempos == expected.tempos);
    CHECK(got.time_signatures == expected.time_signatures);
    CHECK(got.tracks == expected.tracks);
    REQUIRE(got.notes.size() == expected.notes.size());
    for (size_t i = 0; i < got.notes.size(); ++i) {
      CAPTURE(i);
      CHECK(got.notes[i] == expected.notes[i]);
    }
    ++files;
    openmsx += set == "debian-openmsx";
  }
  CHECK(files >= 23);
  CHECK(openmsx >= 3);
}
