// The C++ MMM encoder against the Python reference (tools/mmm.py) on every JS Fake Chorale and
// every openttd-openmsx file. The CTest fixtures notes_mmm_python_* write the Python samples into
// the build tree.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "metrics/notes/midi_file.hpp"
#include "metrics/notes/mmm.hpp"
#include "tests/unit/test_paths.hpp"

namespace fs = std::filesystem;

namespace {

// Compares the C++ encoder with the Python samples of one corpus; returns the Python samples.
std::map<std::string, std::vector<std::string>> compare_corpus(const fs::path& corpus,
                                                               const std::string& reference_name,
                                                               size_t expected_files) {
  const fs::path reference = tb::test::binary_dir() / "tests" / reference_name;
  REQUIRE_MESSAGE(fs::exists(reference), reference.string()
                                             << " is missing: run through ctest, whose fixture "
                                                "notes_mmm_python_* writes it");
  std::map<std::string, std::vector<std::string>> python;  // file name -> samples
  std::ifstream in(reference);
  std::string line;
  while (std::getline(in, line)) {
    const size_t tab = line.find('\t');
    REQUIRE(tab != std::string::npos);
    python[line.substr(0, tab)].push_back(line.substr(tab + 1));
  }

  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(corpus))
    if (entry.path().extension() == ".mid") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  size_t agree = 0;
  size_t samples = 0;
  for (const fs::path& file : files) {
    const auto cpp = tb::notes::mmm_encode(tb::notes::read_midi_file(file));
    const auto it = python.find(file.filename().string());
    const std::vector<std::string> expected =
        it == python.end() ? std::vector<std::string>{} : it->second;
    CAPTURE(file);
    CHECK(cpp == expected);
    agree += cpp == expected;
    samples += cpp.size();
  }
  MESSAGE("MMM: C++ and Python agree on " << agree << " of " << files.size() << " files of "
                                          << corpus.string() << " (" << samples << " samples)");
  CHECK(files.size() == expected_files);
  CHECK(agree == files.size());
  CHECK(python.size() == files.size());  // every file has notes, so every one has samples
  return python;
}

}  // namespace

TEST_CASE("C++ and Python MMM encoders agree on every JS Fake Chorale and openmsx file" *
          doctest::skip(!tb::test::have_shared())) {
  const fs::path midi = tb::test::shared_data() / "midi";
  REQUIRE(fs::is_directory(midi / "js-fakes/midi"));
  REQUIRE(fs::is_directory(midi / "debian-openmsx"));
  compare_corpus(midi / "debian-openmsx", "notes_mmm_openmsx.txt", 31);
  const auto python = compare_corpus(midi / "js-fakes/midi", "notes_mmm_jsfakes.txt", 500);

  // Decoding a Python sample and encoding the notes again gives the sample back (the event
  // multiset does not depend on how NOTE_OFFs pair), unless some track is silent in that
  // window: the re-encoding then drops it.
  int round_trips = 0;
  for (const auto& [name, list] : python) {
    for (const std::string& sample : list) {
      const auto decoded = tb::notes::mmm_decode(sample);
      CHECK(decoded.diagnostics.empty());
      std::vector<bool> sounding(decoded.sequence.tracks.size(), false);
      for (const auto& n : decoded.sequence.notes) sounding[n.track] = true;
      if (std::find(sounding.begin(), sounding.end(), false) != sounding.end()) continue;
      CAPTURE(name);
      CHECK(tb::notes::mmm_encode(decoded.sequence) == std::vector<std::string>{sample});
      ++round_trips;
    }
  }
  MESSAGE("MMM: encode(decode(sample)) == sample on " << round_trips << " samples");
  CHECK(round_trips > 1000);
}
