// A run killed with SIGKILL at random moments and restarted ends with exactly the samples and
// metrics of an uninterrupted run, and the store stays intact.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <thread>

#include "reports/store.hpp"
#include "tests/e2e/run_tunebench.hpp"
#include "tests/unit/test_paths.hpp"

namespace fs = std::filesystem;
namespace test = tb::test;

namespace {

struct Snapshot {
  std::vector<std::string> runs;
  std::vector<std::string> samples;
  std::vector<std::string> metrics;
  std::vector<std::string> costs;  // per run: the summed costs stored with its chunks
};

// Everything a run stored except times: the comparison is exact.
Snapshot snapshot(const fs::path& db) {
  tb::Store store = tb::Store::open(db);
  CHECK(store.integrity_check() == "ok");
  Snapshot s;
  for (const tb::Run& run : store.list_runs()) {
    s.runs.push_back(run.run_key + " " + tb::to_string(run.status));
    std::vector<std::string> rows;
    for (const tb::SampleRow& row : store.samples(run.id)) {
      const tb::SampleResult& r = row.result;
      nlohmann::json j = {{"doc", r.doc_id},
                          {"subset", r.subset},
                          {"prompt", row.prompt_hash},
                          {"target", row.target_hash},
                          {"scores", r.option_scores},
                          {"prediction", r.prediction},
                          {"gold", r.gold},
                          {"values", r.values}};
      rows.push_back(j.dump());
    }
    std::sort(rows.begin(), rows.end());  // storage order depends on where kills fell
    s.samples.insert(s.samples.end(), rows.begin(), rows.end());
    int64_t documents = 0, requested = 0, computed = 0;
    for (const tb::ProfileRow& p : store.profiles(run.id)) {
      if (p.phase != "chunk") continue;
      documents += p.raw.at("documents").get<int64_t>();
      requested += p.raw.at("requested_tokens").get<int64_t>();
      computed += p.raw.at("computed_tokens").get<int64_t>();
    }
    CHECK(documents == static_cast<int64_t>(rows.size()));  // every stored chunk has its cost
    s.costs.push_back(fmt::format("{} {} {}", documents, requested, computed));
    for (const tb::MetricValue& m : store.metrics(run.id)) {
      s.metrics.push_back(
          nlohmann::json({m.name, m.subset, m.value, m.standard_error, m.n}).dump());
    }
  }
  return s;
}

// HEAD of the source checkout, as runners/git_sha.cmake names it; empty without git.
std::string source_commit() {
  const std::string command =
      "git -C '" + tb::test::source_dir().string() + "' rev-parse --short=12 HEAD 2>/dev/null";
  std::string out;
  if (FILE* pipe = popen(command.c_str(), "r")) {
    std::array<char, 128> buffer{};
    while (fgets(buffer.data(), static_cast<int>(buffer.size()), pipe)) out += buffer.data();
    pclose(pipe);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

}  // namespace

TEST_CASE("SIGKILL at three random points, then resume: identical samples, metrics and costs") {
  // TB_TEST_MODEL points the test at another checkpoint directory.
  const char* override_model = std::getenv("TB_TEST_MODEL");
  const fs::path model =
      override_model ? fs::path(override_model) : test::source_dir() / "data/models/tiny-abc-llama";
  if (!fs::exists(model / "config.json")) {
    MESSAGE("skipped: the bundled tiny-abc-llama is not there");
    return;
  }
  const fs::path dir = fs::temp_directory_path() / ("tb_kill_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto command = [&](const fs::path& db) {
    return std::vector<std::string>{
        TB_TUNEBENCH_BIN,       "eval", "--model",   model.string(), "--suite",
        "mtb,mtb-shuffle,mmlu", "--db", db.string(), "--threads",    "1",
        "--chunk-docs",         "2"};
  };
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(test::wait_exit(test::spawn_quiet(command(dir / "whole.sqlite"))) == 0);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const unsigned seed = std::random_device{}();
  CAPTURE(seed);
  std::mt19937 random(seed);
  std::uniform_real_distribution<double> moment(0.05 * seconds, 0.95 * seconds);
  int killed = 0;
  for (int attempt = 0; attempt < 3; ++attempt) {
    const pid_t pid = test::spawn_quiet(command(dir / "killed.sqlite"));
    std::this_thread::sleep_for(std::chrono::duration<double>(moment(random)));
    killed += kill(pid, SIGKILL) == 0 ? 1 : 0;
    const int code = test::wait_exit(pid);
    CHECK((code == 128 + SIGKILL || code == 0));
    if (fs::exists(dir / "killed.sqlite")) {
      size_t stored = 0;
      tb::Store partial = tb::Store::open(dir / "killed.sqlite");
      for (const tb::Run& run : partial.list_runs()) stored += partial.samples(run.id).size();
      MESSAGE("after kill " << attempt + 1 << ": " << stored << " samples stored");
    }
  }
  MESSAGE("reference run " << seconds << " s; " << killed << " kills landed");
  REQUIRE(test::wait_exit(test::spawn_quiet(command(dir / "killed.sqlite"))) == 0);

  const Snapshot whole = snapshot(dir / "whole.sqlite");
  // The run records the commit the binary was built from (read at build, not configure, time).
  if (const std::string commit = source_commit(); !commit.empty()) {
    tb::Store store = tb::Store::open(dir / "whole.sqlite");
    for (const tb::Run& run : store.list_runs()) {
      CAPTURE(run.info.tunebench_git_sha);
      CHECK(run.info.tunebench_git_sha.starts_with(commit));
    }
  }
  const Snapshot resumed = snapshot(dir / "killed.sqlite");
  CHECK(whole.runs == resumed.runs);
  CHECK(whole.samples.size() == resumed.samples.size());
  CHECK(whole.samples == resumed.samples);
  CHECK(whole.metrics == resumed.metrics);
  // The whole-run token counts eval prints come out the same however often the run was killed.
  CHECK(whole.costs == resumed.costs);
  CHECK_FALSE(whole.metrics.empty());
  // A finished run is not recomputed: running again changes nothing.
  REQUIRE(test::wait_exit(test::spawn_quiet(command(dir / "killed.sqlite"))) == 0);
  CHECK(snapshot(dir / "killed.sqlite").samples == resumed.samples);
  fs::remove_all(dir);
}
