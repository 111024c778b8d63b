// MusPy's metric functions and mgeval's per-bar formulas against the reference libraries on the
// JS Fake Chorales, the Debian openMSX MIDI files and Nottingham tunes as music21 reads them
// (tools/metrics_golden.py ->
// data/golden/statistics/reference_libraries.json): 1e-9 for counts and rates, 1e-6 for
// entropies and KL / overlap area (scipy gaussian_kde + quad).
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "metrics/abc/abc.hpp"
#include "metrics/notes/abc_notes.hpp"
#include "metrics/notes/midi_file.hpp"
#include "metrics/statistics/features.hpp"
#include "metrics/statistics/set_comparison.hpp"
#include "tests/unit/test_paths.hpp"

namespace {

namespace st = tb::metrics::statistics;

nlohmann::json golden() {
  std::ifstream in(tb::test::source_dir() / "data/golden/statistics/reference_libraries.json");
  REQUIRE(in.good());
  return nlohmann::json::parse(in);
}

bool matches(const nlohmann::json& expected, double actual, double tol) {
  if (expected.is_null()) return std::isnan(actual);
  const double e = expected.get<double>();
  return std::abs(actual - e) <= tol * std::max(1.0, std::abs(e));
}

double tolerance(const std::string& feature) {
  return feature.find("entropy") != std::string::npos ? 1e-6 : 1e-9;
}

}  // namespace

TEST_CASE("statistics reference: MusPy metrics and mgeval bar features per piece" *
          doctest::skip(!tb::test::have_shared())) {
  const nlohmann::json g = golden();
  size_t pieces = 0, values = 0, mismatches = 0;
  for (const auto& [file, expected] : g["features"].items()) {
    const st::PieceFeatures p =
        st::piece_features(tb::notes::read_midi_file(tb::test::shared_data() / file));
    ++pieces;
    for (size_t k = 0; k < st::kFeatureCount; ++k) {
      const st::Feature f = st::feature_at(k);
      const std::string name(st::feature_name(f));
      if (!expected.contains(name)) continue;
      const auto& e = expected[name];
      INFO(file << " " << name);
      REQUIRE(p[f].size() == e.size());
      for (size_t i = 0; i < e.size(); ++i) {
        ++values;
        if (!matches(e[i], p[f][i], tolerance(name))) {
          ++mismatches;
          CHECK_MESSAGE(false, name << "[" << i << "] = " << p[f][i] << ", reference " << e[i]);
        }
      }
    }
  }
  MESSAGE(values << " values of " << pieces << " pieces, " << mismatches << " mismatches");
  CHECK(pieces == g["features"].size());
  CHECK(pieces >= 50);
  CHECK(mismatches == 0);
}

TEST_CASE("statistics reference: MusPy metrics and mgeval bar features of Nottingham tunes" *
          doctest::skip(!tb::test::have_shared())) {
  const nlohmann::json g = golden();
  std::ifstream in(tb::test::shared_data() / g["abc_file"].get<std::string>(), std::ios::binary);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  std::map<std::string, tb::metrics::abc::Tune> tunes;
  for (const auto& t : tb::metrics::abc::split_tunes(text.str()))
    tunes[t.number] = tb::metrics::abc::parse_tune(t);
  size_t pieces = 0, values = 0, mismatches = 0;
  for (const auto& [number, expected] : g["abc_features"].items()) {
    REQUIRE(tunes.count(number) == 1);
    const st::PieceFeatures p = st::piece_features(tb::notes::abc_to_notes(tunes.at(number)));
    ++pieces;
    for (size_t k = 0; k < st::kFeatureCount; ++k) {
      const st::Feature f = st::feature_at(k);
      const std::string name(st::feature_name(f));
      if (!expected.contains(name)) continue;
      const auto& e = expected[name];
      INFO("X:" << number << " " << name);
      CHECK(p[f].size() == e.size());
      for (size_t i = 0; i < e.size() && i < p[f].size(); ++i) {
        ++values;
        if (!matches(e[i], p[f][i], tolerance(name))) {
          ++mismatches;
          CHECK_MESSAGE(false, name << "[" << i << "] = " << p[f][i] << ", reference " << e[i]);
        }
      }
    }
  }
  MESSAGE(values << " values of " << pieces << " Nottingham tunes, " << mismatches
                 << " mismatches");
  CHECK(pieces >= 25);
  CHECK(mismatches == 0);
}

TEST_CASE("statistics reference: KL and overlap area as mgeval's utils.py (scipy)" *
          doctest::skip(!tb::test::have_shared())) {
  const nlohmann::json g = golden();
  auto load = [&](const nlohmann::json& files) {
    std::vector<st::PieceFeatures> out;
    for (const auto& f : files) {
      out.push_back(st::piece_features(
          tb::notes::read_midi_file(tb::test::shared_data() / f.get<std::string>())));
    }
    return out;
  };
  const auto a = load(g["set_a"]);
  const auto b = load(g["set_b"]);
  size_t compared = 0;
  for (const st::FeatureComparison& c : st::compare_sets(a, b)) {
    const std::string name(st::feature_name(c.feature));
    if (!g["comparison"].contains(name)) continue;
    ++compared;
    INFO(name);
    CHECK(c.undefined.empty());
    CHECK(matches(g["comparison"][name]["kl"], c.kl, 1e-6));
    CHECK(matches(g["comparison"][name]["overlap"], c.overlap, 1e-6));
    MESSAGE(name << ": KL " << c.kl << " (scipy " << g["comparison"][name]["kl"] << "), OA "
                 << c.overlap << " (scipy quad " << g["comparison"][name]["overlap"] << ")");
  }
  CHECK(compared == g["comparison"].size());
}
