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

TEST_CASE("tunebench metrics --per-piece: one row per piece, means reproduce the aggregates") {
  ScratchDir dir;
  const fs::path abc = dir.path / "three.abc";
  write_file(abc, kTunes);
  const fs::path csv = dir.path / "pieces.csv";
  const fs::path jsonl = dir.path / "pieces.jsonl";
  const test::Outcome o =
      test::run_tunebench("metrics --json " + abc.string() + " --per-piece " + csv.string());
  REQUIRE(o.exit_code == 0);
  const auto agg = nlohmann::json::parse(o.out);
  REQUIRE(
      test::run_tunebench("metrics " + abc.string() + " --per-piece " + jsonl.string()).exit_code ==
      0);
  // JSONL: one object per tune, in file order.
  std::ifstream jin(jsonl);
  std::vector<nlohmann::json> rows;
  for (std::string line; std::getline(jin, line);) rows.push_back(nlohmann::json::parse(line));
  REQUIRE(rows.size() == 3);
  CHECK(rows[1]["piece"] == 2);
  CHECK(rows[1]["tier2"] == 0);  // tune 2 has no T:
  CHECK(rows[2]["tier1"] == 0);
  CHECK(rows[0]["total_pitch_class_histogram"].size() == 12);
  // Every scalar statistic and repetition value: the mean of its column over the rows where it
  // is defined is the aggregate mean, and the tier columns give the tier rates.
  size_t checked = 0;
  for (const char* group : {"statistics", "repetition"}) {
    for (const auto& [name, summary] : agg[group].items()) {
      if (!summary["mean"].is_number()) continue;
      double sum = 0;
      size_t n = 0;
      for (const auto& r : rows) {
        if (r[name].is_number()) sum += r[name].get<double>(), ++n;
      }
      INFO(name);
      CHECK(n == summary["n"].get<size_t>());
      CHECK(sum / static_cast<double>(n) == doctest::Approx(summary["mean"].get<double>()));
      ++checked;
    }
  }
  CHECK(checked >= 24);  // 9 repetition values and 15 scalar features (drums undefined)
  double tier2 = 0;
  for (const auto& r : rows) tier2 += r["tier2"].get<double>();
  CHECK(tier2 / 3 == doctest::Approx(agg["abc"]["tier2"].get<double>()));
  // CSV: a header and three rows with the same columns.
  std::ifstream cin(csv);
  std::vector<std::string> lines;
  for (std::string line; std::getline(cin, line);) lines.push_back(line);
  REQUIRE(lines.size() == 4);
  CHECK(lines[0].starts_with("file,piece,tier1,tier2,tier3,tier4,level,all_header_fields"));
  const auto commas = std::count(lines[0].begin(), lines[0].end(), ',');
  for (const auto& l : lines) CHECK(std::count(l.begin(), l.end(), ',') == commas);
  // Aggregates carry spread and quartiles.
  CHECK(agg["statistics"]["pitch_range"].contains("std"));
  CHECK(agg["statistics"]["pitch_range"]["median"].get<double>() == 12.0);
  // A per-piece file of another kind is refused before anything runs.
  const test::Outcome bad = test::run_tunebench("metrics " + abc.string() + " --per-piece " +
                                                (dir.path / "x.txt").string());
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("--per-piece") != std::string::npos);
}

TEST_CASE("tunebench metrics: KL and OA of a zero-variance feature say why they are undefined") {
  ScratchDir dir;
  const fs::path a = dir.path / "a.abc";
  const fs::path b = dir.path / "b.abc";
  // Monophonic tunes: polyphony is 1 for every piece, so the intra-set distances are all 0.
  write_file(a,
             "X:1\nT:a\nM:4/4\nL:1/4\nK:C\nCDEF|GABc|\n\nX:2\nT:b\nM:4/4\nL:1/4\nK:C\n"
             "CEGc|CDEF|\n\nX:3\nT:c\nM:4/4\nL:1/4\nK:C\nC2E2|G4|\n");
  write_file(b,
             "X:1\nT:a\nM:4/4\nL:1/4\nK:C\n[CEG]4|[DF]2C2|\n\nX:2\nT:b\nM:4/4\nL:1/4\nK:C\n"
             "[CE]DEF|G4|\n");
  const test::Outcome o =
      test::run_tunebench("metrics --json " + a.string() + " --reference " + b.string());
  REQUIRE(o.exit_code == 0);
  const auto j = nlohmann::json::parse(o.out);
  CHECK(j["comparison"]["polyphony"]["kl"].is_null());
  CHECK(j["comparison"]["polyphony"]["undefined"].get<std::string>().find("zero variance") !=
        std::string::npos);
  const test::Outcome text =
      test::run_tunebench("metrics " + a.string() + " --reference " + b.string());
  CHECK(text.out.find("undefined: the intra-set distances of polyphony all equal 0") !=
        std::string::npos);
  CHECK(text.out.find("nan") == std::string::npos);
}

TEST_CASE("tunebench metrics: MusicXML and compressed .mxl files; broken XML is exit 2") {
  const fs::path dir = fs::path(TB_SOURCE_DIR) / "data/golden/musicxml";
  const test::Outcome o = test::run_tunebench("metrics --json " + (dir / "jsfakes-1.mxl").string() +
                                              " " + (dir / "jsfakes-0.musicxml").string());
  REQUIRE(o.exit_code == 0);
  const auto j = nlohmann::json::parse(o.out);
  CHECK(j["pieces"] == 2);
  CHECK(j["statistics"]["polyphony"]["mean"].get<double>() > 3.0);  // four-part chorales
  ScratchDir scratch;
  const fs::path bad = scratch.path / "broken.musicxml";
  write_file(bad, "<score-partwise><part-list>");
  const test::Outcome b = test::run_tunebench("metrics " + bad.string());
  CHECK(b.exit_code == 2);
  CHECK(b.err.find(bad.string() + ": byte ") != std::string::npos);
  CHECK(std::count(b.err.begin(), b.err.end(), '\n') == 1);
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

// Issue 31: a tune that is one 50 MB line took 90 CPU s and 2.4 GB, its whole music going
// through the repetition metrics' suffix array though the parser reads only its first
// limits::kAbcTuneBytes (256 KiB). The repetition is measured on that same part: here a periodic
// first 300 kB (longest repeat: nearly all of it) then 2.7 MB of pseudo-random notes (the
// whole line's longest repeat is about a tenth of it).
TEST_CASE("tunebench metrics: the repetition of an over-long ABC tune covers what is parsed") {
  ScratchDir dir;
  const fs::path abc = dir.path / "one_line.abc";
  std::string text = "X:1\nT:t\nM:4/4\nL:1/8\nK:C\n";
  for (int i = 0; i < 30000; ++i) text += "abcd efga|";
  uint32_t state = 31;
  for (int i = 0; i < 2700000; ++i) {
    state = state * 1664525u + 1013904223u;
    text += "ABCDEFGabcdefg^_=,'|"[(state >> 16) % 20];
  }
  write_file(abc, text + "\n");
  const test::Outcome o = test::run_tunebench("metrics --json " + abc.string());
  REQUIRE(o.exit_code == 0);
  const auto j = nlohmann::json::parse(o.out);
  CHECK(j["abc"]["tier1"].get<double>() == 0.0);  // too long: fails tier 1
  CHECK(j["repetition"]["longest_repeat"]["mean"].get<double>() > 0.9);
}
