// `tunebench metrics` end to end: validity tier rates of a small ABC file worked out by hand,
// statistics through the ABC -> notes path, and a corrupt MIDI file as a one-line error, exit 2.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/e2e/run_tunebench.hpp"

namespace fs = std::filesystem;
namespace test = tb::test;

namespace {

struct ScratchDir {
  fs::path path;
  ScratchDir() {
    path = fs::temp_directory_path() / ("tb_metrics_" + std::to_string(getpid()));
    fs::create_directories(path);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

void write_file(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// Tune 1 meets every tier. Tune 2 has no T: (tier 2) and a repeat. Tune 3 has a five-beat bar
// in the middle (tier 3) and a chord never closed (tier 1).
constexpr const char* kTunes =
    "X:1\nT:Good\nM:4/4\nL:1/4\nK:C\nCDEF|GABc|\n\n"
    "X:2\nM:4/4\nL:1/4\nK:G\n|:CDEF|GABc:|\n\n"
    "X:3\nT:Bad\nM:4/4\nL:1/4\nK:D\nCDEF|GABcd|CDEF|[CE|\n";

}  // namespace

TEST_CASE("tunebench metrics: tier rates and statistics of an ABC file") {
  ScratchDir dir;
  const fs::path abc = dir.path / "three.abc";
  write_file(abc, kTunes);
  const test::Outcome o = test::run_tunebench("metrics --json " + abc.string());
  REQUIRE(o.exit_code == 0);
  const auto j = nlohmann::json::parse(o.out);
  CHECK(j["pieces"] == 3);
  CHECK(j["abc"]["tunes"] == 3);
  CHECK(j["abc"]["tier1"].get<double>() == doctest::Approx(2.0 / 3));
  CHECK(j["abc"]["tier2"].get<double>() == doctest::Approx(2.0 / 3));
  CHECK(j["abc"]["tier3"].get<double>() == doctest::Approx(2.0 / 3));
  CHECK(j["abc"]["tier4"].get<double>() == 1.0);
  CHECK(j["abc"]["level_at_least"][3].get<double>() == doctest::Approx(1.0 / 3));
  CHECK(j["abc"]["uses_repeats"].get<double>() == doctest::Approx(1.0 / 3));
  CHECK(j["abc"]["truncated"].get<double>() == 0.0);
  // Ranges C..c = 12 (K:C and K:G), C#..d = 13 (K:D; the unclosed chord plays nothing).
  CHECK(j["statistics"]["pitch_range"]["mean"].get<double>() == doctest::Approx(37.0 / 3));
  CHECK(j["statistics"]["scale_consistency"]["n"] == 3);

  // The text table names the tiers.
  const test::Outcome table = test::run_tunebench("metrics " + abc.string());
  CHECK(table.exit_code == 0);
  CHECK(table.out.find("tier1 (parses)") != std::string::npos);
  CHECK(table.out.find("0.6667") != std::string::npos);

  // Against itself as the reference: the comparison covers all three pieces.
  const test::Outcome self =
      test::run_tunebench("metrics --json " + abc.string() + " --reference " + abc.string());
  REQUIRE(self.exit_code == 0);
  const auto s = nlohmann::json::parse(self.out);
  CHECK(s["comparison"]["pitch_range"]["generated"] == 3);
}

TEST_CASE("tunebench metrics: a corrupt MIDI file is one line naming it, exit 2") {
  ScratchDir dir;
  const fs::path mid = dir.path / "corrupt.mid";
  write_file(mid, std::string("MThd\0\0\0\6\0", 9));
  const test::Outcome o = test::run_tunebench("metrics " + mid.string());
  CHECK(o.exit_code == 2);
  CHECK(o.err.find(mid.string()) != std::string::npos);
  CHECK(std::count(o.err.begin(), o.err.end(), '\n') == 1);
  const test::Outcome missing =
      test::run_tunebench("metrics " + (dir.path / "absent.abc").string());
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("absent.abc") != std::string::npos);
}
