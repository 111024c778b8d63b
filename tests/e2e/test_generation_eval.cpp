// `tunebench eval --suite abc-gen-quick`: the generated tunes stored as responses are the same
// at generation batch 1 and 16, and a run killed with SIGKILL resumes to the same samples.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "reports/store.hpp"
#include "tests/e2e/run_tunebench.hpp"
#include "tests/unit/test_paths.hpp"

namespace fs = std::filesystem;
namespace test = tb::test;

namespace {

struct Stored {
  std::vector<std::string> samples;  // doc, prompt, response, values; sorted by doc
  std::vector<std::string> metrics;
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
    s.metrics.push_back(nlohmann::json({m.name, m.value, m.standard_error, m.n}).dump());
  }
  return s;
}

}  // namespace

TEST_CASE("abc-gen: identical tunes at generation batch 1 and 16, resumable after SIGKILL") {
  const fs::path model = test::source_dir() / "data/models/tiny-abc-llama";
  const fs::path dir = fs::temp_directory_path() / ("tb_gen_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto command = [&](const fs::path& db, int batch) {
    return std::vector<std::string>{
        TB_TUNEBENCH_BIN, "eval", "--model",     model.string(),       "--suite",
        "abc-gen-quick",  "--db", db.string(),   "--threads",          "1",
        "--chunk-docs",   "4",    "--gen-batch", std::to_string(batch)};
  };
  REQUIRE(test::wait_exit(test::spawn_quiet(command(dir / "b1.sqlite", 1))) == 0);
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(test::wait_exit(test::spawn_quiet(command(dir / "b16.sqlite", 16))) == 0);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const Stored one = read_store(dir / "b1.sqlite");
  const Stored sixteen = read_store(dir / "b16.sqlite");
  REQUIRE(one.samples.size() == 16);
  CHECK(one.samples == sixteen.samples);
  CHECK(one.metrics == sixteen.metrics);
  {
    tb::Store store = tb::Store::open(dir / "b16.sqlite");
    const auto rows = store.samples(store.list_runs()[0].id);
    std::set<std::string> distinct;
    for (const tb::SampleRow& row : rows) {
      CHECK(row.result.prompt == "X:1\n");
      CHECK_FALSE(row.result.response.starts_with("X:1\n"));  // the completion alone
      CHECK(row.result.response.size() > 4);                  // something was generated
      distinct.insert(row.result.response);
    }
    CHECK(distinct.size() == 16);  // 16 seeds, 16 different tunes
    // One "generate" profile for the invocation, one "chunk" cost per stored chunk.
    int generate = 0;
    int64_t documents = 0, generated = 0;
    for (const tb::ProfileRow& p : store.profiles(store.list_runs()[0].id)) {
      if (p.phase == "generate") {
        ++generate;
        CHECK(p.batch == 16);
      } else if (p.phase == "documents") {
        CHECK(p.raw.at("effective").at("").get<int64_t>() == 16);  // lm-eval's n-samples
      } else {
        REQUIRE(p.phase == "chunk");
        documents += p.raw.at("documents").get<int64_t>();
        generated += p.raw.at("generated_tokens").get<int64_t>();
        CHECK(p.raw.at("computed_tokens").get<int64_t>() == 0);  // nothing scored
      }
    }
    CHECK(generate == 1);
    CHECK(documents == 16);
    CHECK(generated > 16);
  }

  // Killed at random moments, then resumed: the same samples as the uninterrupted run.
  const unsigned seed = std::random_device{}();
  CAPTURE(seed);
  std::mt19937 random(seed);
  std::uniform_real_distribution<double> moment(0.05 * seconds, 0.95 * seconds);
  for (int attempt = 0; attempt < 2; ++attempt) {
    const pid_t pid = test::spawn_quiet(command(dir / "killed.sqlite", 16));
    std::this_thread::sleep_for(std::chrono::duration<double>(moment(random)));
    kill(pid, SIGKILL);
    const int code = test::wait_exit(pid);
    CHECK((code == 128 + SIGKILL || code == 0));
  }
  REQUIRE(test::wait_exit(test::spawn_quiet(command(dir / "killed.sqlite", 16))) == 0);
  const Stored resumed = read_store(dir / "killed.sqlite");
  CHECK(resumed.samples == sixteen.samples);
  CHECK(resumed.metrics == sixteen.metrics);
  fs::remove_all(dir);
}

TEST_CASE("abc-gen: statistics against the held-out tunes; `tunebench metrics` agrees on tiers" *
          doctest::skip(!test::have_shared())) {
  const fs::path dir = fs::temp_directory_path() / ("tb_genstats_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path spec = dir / "abc-gen-stats.json";
  {
    const nlohmann::json s = {
        {"name", "abc-gen-stats"},
        {"kind", "abc-gen"},
        {"version", "t"},
        {"data", (test::shared_data() / "abc").string()},
        {"heldout", (test::source_dir() / "data/models/tiny-abc-llama/heldout.tsv").string()},
        {"n", 8},
        {"max_new_tokens", 160},
        {"seed", 99}};
    std::ofstream(spec) << s.dump();
  }
  const fs::path db = dir / "g.sqlite";
  const fs::path tunes = dir / "tunes.abc";
  const std::string model = (test::source_dir() / "data/models/tiny-abc-llama").string();
  REQUIRE(test::run_tunebench("eval --model " + model + " --suite " + spec.string() + " --db " +
                              db.string() + " --threads 1")
              .exit_code == 0);
  REQUIRE(test::run_tunebench("show 1 --db " + db.string() + " --responses " + tunes.string())
              .exit_code == 0);
  const test::Outcome metrics = test::run_tunebench("metrics --json " + tunes.string());
  REQUIRE(metrics.exit_code == 0);
  const nlohmann::json measured = nlohmann::json::parse(metrics.out);

  tb::Store store = tb::Store::open(db);
  std::map<std::string, tb::MetricValue> stored;
  for (const tb::MetricValue& m : store.metrics(1)) stored[m.name] = m;
  // Yang & Lerch's comparison was made for every feature the 8 tunes define.
  CHECK(stored.count("oa_pitch_range") == 1);
  CHECK(stored.count("kl_total_pitch_class_histogram") == 1);
  CHECK(stored.count("pitch_class_entropy") == 1);
  for (const auto& [name, m] : stored) {
    if (name.starts_with("oa_")) CHECK((m.value >= 0 && m.value <= 1.0 + 1e-9));
    if (name.starts_with("kl_")) CHECK(m.value >= -1e-9);
  }
  // The same stored texts measured by `tunebench metrics`: the same tier rates.
  CHECK(measured["abc"]["tunes"].get<int>() == 8);
  for (int k = 1; k <= 4; ++k) {
    const std::string tier = "tier" + std::to_string(k);
    CAPTURE(tier);
    CHECK(measured["abc"][tier].get<double>() == doctest::Approx(stored.at(tier).value));
  }
  CHECK(measured["abc"]["uses_repeats"].get<double>() ==
        doctest::Approx(stored.at("uses_repeats").value));
  fs::remove_all(dir);
}
