// The C++ MMM encoder against the Python reference (tools/mmm.py) on every JS Fake Chorale.
// The CTest fixture notes_mmm_python_reference writes the Python samples into the build tree.
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

TEST_CASE("C++ and Python MMM encoders agree on every JS Fake Chorale") {
  const fs::path corpus = tb::test::shared_data() / "midi/js-fakes/midi";
  if (!fs::is_directory(corpus)) {
    MESSAGE("skipped: ../shared/data/midi/js-fakes is absent");
    return;
  }
  const fs::path reference = tb::test::binary_dir() / "tests/notes_mmm_jsfakes.txt";
  REQUIRE_MESSAGE(fs::exists(reference), reference.string()
                                             << " is missing: run through ctest, whose fixture "
                                                "notes_mmm_python_reference writes it");
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
  int agree = 0;
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
  MESSAGE("MMM: C++ and Python agree on " << agree << " of " << files.size() << " files ("
                                          << samples << " samples)");
  CHECK(files.size() == 500);
  CHECK(agree == static_cast<int>(files.size()));
  CHECK(python.size() == files.size());  // every chorale has notes, so every one has samples
}
