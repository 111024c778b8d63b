// Features and set comparison of JS Fake Chorales against the numpy reference
// (tools/statistics_golden.py -> data/golden/statistics/jsfakes.json).
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "metrics/notes/midi_file.hpp"
#include "metrics/statistics/features.hpp"
#include "metrics/statistics/set_comparison.hpp"
#include "tests/unit/test_paths.hpp"

namespace {

namespace st = tb::metrics::statistics;

void check_close(const nlohmann::json& expected, double actual, double tol,
                 const std::string& what) {
  INFO(what);
  if (expected.is_null()) {
    CHECK(std::isnan(actual));
  } else {
    const double e = expected.get<double>();
    CHECK(std::abs(actual - e) <= tol * std::max(1.0, std::abs(e)));
  }
}

}  // namespace

TEST_CASE("statistics golden: JS Fake Chorales against the numpy reference" *
          doctest::skip(!tb::test::have_shared())) {
  std::ifstream in(tb::test::source_dir() / "data/golden/statistics/jsfakes.json");
  REQUIRE(in.good());
  const nlohmann::json golden = nlohmann::json::parse(in);
  const auto dir = tb::test::shared_data() / "midi/js-fakes/midi";
  auto load = [&](const nlohmann::json& files) {
    std::vector<st::PieceFeatures> out;
    for (const auto& f : files) {
      const std::string name = f.get<std::string>();
      const st::PieceFeatures p = st::piece_features(tb::notes::read_midi_file(dir / name));
      const auto& expected = golden["features"][name];
      for (size_t k = 0; k < st::kFeatureCount; ++k) {
        const st::Feature feat = st::feature_at(k);
        const std::string fname(st::feature_name(feat));
        if (!expected.contains(fname)) continue;  // features added later: reference_libraries.json
        const auto& e = expected.at(fname);
        REQUIRE(e.size() == st::feature_size(feat));
        REQUIRE(p[feat].size() == e.size());
        for (size_t i = 0; i < e.size(); ++i) {
          check_close(e[i], p[feat][i], 1e-9, name + " " + fname + "[" + std::to_string(i) + "]");
        }
      }
      out.push_back(p);
    }
    return out;
  };
  const auto gen = load(golden["generated"]);
  const auto ref = load(golden["reference"]);
  for (const st::FeatureComparison& c : st::compare_sets(gen, ref)) {
    const std::string fname(st::feature_name(c.feature));
    if (!golden["comparison"].contains(fname)) continue;
    const auto& e = golden["comparison"].at(fname);
    check_close(e["kl"], c.kl, 1e-6, fname + " kl");
    check_close(e["overlap"], c.overlap, 1e-6, fname + " overlap");
    check_close(e["intra_generated_mean"], c.intra_generated_mean, 1e-9, fname + " intra");
    check_close(e["intra_reference_mean"], c.intra_reference_mean, 1e-9, fname + " intra ref");
    check_close(e["inter_mean"], c.inter_mean, 1e-9, fname + " inter");
  }
}
