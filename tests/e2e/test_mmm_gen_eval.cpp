// `tunebench eval --suite mmm-gen-quick` on the bundled tiny-mmm-gpt2: the same stored samples
// and metrics at generation batch 1 and 16, validity rates and (with ../shared) statistics
// against the held-out JS Fake Chorales stored and printed.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "reports/store.hpp"
#include "tests/e2e/run_tunebench.hpp"
#include "tests/unit/test_paths.hpp"

namespace fs = std::filesystem;
namespace test = tb::test;

namespace {

struct Stored {
  std::vector<std::string> samples;  // doc, prompt, response, values; sorted by doc
  std::map<std::string, double> metrics;
  std::vector<std::string> metric_rows;
};

Stored read_store(const fs::path& db) {
  tb::Store store = tb::Store::open(db);
  Stored s;
  const auto runs = store.list_runs();
  REQUIRE(runs.size() == 1);
  for (const tb::SampleRow& row : store.samples(runs[0].id)) {
    const tb::SampleResult& r = row.result;
    s.samples.push_back(nlohmann::json({r.doc_id, r.prompt, r.response, r.values}).dump());
  }
  std::sort(s.samples.begin(), s.samples.end());
  for (const tb::MetricValue& m : store.metrics(runs[0].id)) {
    s.metrics[m.name] = m.value;
    s.metric_rows.push_back(nlohmann::json({m.name, m.value, m.standard_error, m.n}).dump());
  }
  return s;
}

}  // namespace

TEST_CASE("mmm-gen: identical samples at generation batch 1 and 16; validity and statistics") {
  const fs::path model = test::source_dir() / "data/models/tiny-mmm-gpt2";
  const fs::path dir = fs::temp_directory_path() / ("tb_mmmgen_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto eval = [&](const fs::path& db, int batch) {
    return test::run_tunebench("eval --model " + model.string() +
                               " --suite mmm-gen-quick --threads 1 --chunk-docs 4 --db " +
                               db.string() + " --gen-batch " + std::to_string(batch));
  };
  const test::Outcome one_run = eval(dir / "b1.sqlite", 1);
  REQUIRE(one_run.exit_code == 0);
  const test::Outcome sixteen_run = eval(dir / "b16.sqlite", 16);
  REQUIRE(sixteen_run.exit_code == 0);
  MESSAGE(sixteen_run.out);
  CHECK(sixteen_run.out.find("valid") != std::string::npos);  // the table is printed

  const Stored one = read_store(dir / "b1.sqlite");
  const Stored sixteen = read_store(dir / "b16.sqlite");
  REQUIRE(one.samples.size() == 16);
  CHECK(one.samples == sixteen.samples);
  CHECK(one.metric_rows == sixteen.metric_rows);
  std::set<std::string> distinct(sixteen.samples.begin(), sixteen.samples.end());
  CHECK(distinct.size() == 16);
  for (const char* name :
       {"valid", "piece", "tracks", "bars", "notes", "bar_length", "bar_count", "known_tokens",
        "decode_clean", "bar_repetition", "seq_rep_4", "loop", "pitch_range", "tokens_per_tune"}) {
    CAPTURE(name);
    REQUIRE(sixteen.metrics.count(name) == 1);
  }
  // A trained model: every sample starts a piece, and most of its tokens are MMM tokens.
  CHECK(sixteen.metrics.at("piece") == 1.0);
  CHECK(sixteen.metrics.at("known_tokens") > 0.9);
  CHECK(sixteen.metrics.at("tracks") > 0.0);
  if (test::have_shared()) {
    CHECK(sixteen.metrics.count("kl_pitch_range") == 1);
    CHECK(sixteen.metrics.count("oa_pitch_range") == 1);
    CHECK(sixteen.metrics.at("oa_pitch_range") > 0.0);
  } else {
    MESSAGE("no ../shared/data: statistics without a reference");
  }
  fs::remove_all(dir);
}
