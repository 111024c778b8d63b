// Checkpoint workflows over the bundled tiny-abc-llama and perturbed copies of it: the CI gate
// (passes against itself, fails naming the metric for the weaker copy, JUnit XML that parses,
// McNemar p-values from the stored correctness), a sweep killed with SIGKILL and restarted, then
// compared step by step, and lm-eval's results/samples files read by lm-eval's make_table logic.
#include <doctest/doctest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "reports/store.hpp"
#include "tests/e2e/run_tunebench.hpp"
#include "tests/unit/test_paths.hpp"

namespace fs = std::filesystem;
namespace test = tb::test;

namespace {

fs::path bundled_model() {
  return test::source_dir() / "data/models/tiny-abc-llama";
}

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name)
      : path(fs::temp_directory_path() / (name + "_" + std::to_string(getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

void perturb(const fs::path& dst, double scale, int seed) {
  const std::string command = std::string(TB_PERTURB_BIN) + " '" + bundled_model().string() +
                              "' '" + dst.string() + "' " + std::to_string(scale) + " " +
                              std::to_string(seed);
  REQUIRE(std::system(command.c_str()) == 0);
}

// Quoted for the shell (built with insert: GCC 12's -Wrestrict misfires on "'" + s + "'").
std::string q(const fs::path& p) {
  std::string s = p.string();
  s.insert(s.begin(), '\'');
  s.push_back('\'');
  return s;
}

// Two-sided exact McNemar, computed here with integers: 2 * sum_{i<=min} C(n, i) / 2^n.
double binomial_two_sided(int64_t b, int64_t c) {
  const int64_t n = b + c;
  if (n == 0) return 1.0;
  double tail = 0, choose = 1;
  for (int64_t i = 0; i <= std::min(b, c); ++i) {
    tail += choose;
    choose = choose * static_cast<double>(n - i) / static_cast<double>(i + 1);
  }
  return std::min(1.0, 2.0 * tail / std::pow(2.0, static_cast<double>(n)));
}

// The stdout of a shell command, and its exit code.
test::Outcome shell(const std::string& command) {
  test::Outcome o;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) o.out.append(buffer, n);
  const int status = pclose(pipe);
  o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return o;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

TEST_CASE("gate: the model against itself passes; a perturbed copy fails naming perplexity") {
  if (!fs::exists(bundled_model() / "config.json")) {
    MESSAGE("skipped: the bundled tiny-abc-llama is not there");
    return;
  }
  TempDir dir("tb_gate");
  const fs::path weak = dir.path / "weak";
  perturb(weak, 0.5, 7);
  const fs::path db = dir.path / "gate.sqlite";
  for (const fs::path& model : {bundled_model(), weak}) {
    const auto o = test::run_tunebench("eval --model " + q(model) +
                                       " --suite abc-ppl,mtb --limit 4 --threads 1 --db " + q(db));
    REQUIRE_MESSAGE(o.exit_code == 0, o.err);
  }
  const std::string rules = " --max-rise perplexity=2% --max-drop acc=0.5 --db " + q(db);
  const auto self =
      test::run_tunebench("gate --baseline path:" + q(bundled_model()) + " --candidate " +
                          q(bundled_model()) + rules + " --junit " + q(dir.path / "self.xml"));
  CHECK_MESSAGE(self.exit_code == 0, self.err);
  CHECK(self.err.find("0 of 2 checks failed") != std::string::npos);

  const auto worse =
      test::run_tunebench("gate --baseline " + q(bundled_model()) + " --candidate " + q(weak) +
                          rules + " --junit " + q(dir.path / "weak.xml") + " --format markdown");
  CHECK_MESSAGE(worse.exit_code == 1, worse.err);
  CHECK(worse.err.find("gate FAIL: perplexity rose") != std::string::npos);
  CHECK(worse.out.find("| abc-ppl") != std::string::npos);
  MESSAGE(worse.err);

  // The JUnit files parse, and name the failing metric in a <failure>.
  const std::string check_xml =
      "python3 -c \"import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); "
      "s = r.find('testsuite'); f = [c.get('name') for c in s.iter('testcase') "
      "if c.find('failure') is not None]; print(s.get('tests'), s.get('failures'), *f)\" ";
  const auto xml_self = shell(check_xml + q(dir.path / "self.xml"));
  CHECK(xml_self.out == "2 0\n");
  const auto xml_weak = shell(check_xml + q(dir.path / "weak.xml"));
  CHECK(xml_weak.out == "2 1 perplexity max-rise 2%\n");

  // compare's McNemar p-values are the exact binomial ones of the stored correctness counts.
  const auto json = test::run_tunebench("compare " + q(bundled_model()) + " " + q(weak) +
                                        " --suite mtb --format json --db " + q(db));
  REQUIRE_MESSAGE(json.exit_code == 0, json.err);
  int tested = 0;
  const auto steps = nlohmann::json::parse(json.out);
  for (const auto& row : steps.at(0).at("metrics")) {
    if (row.at("test") != "mcnemar") continue;
    ++tested;
    const double expected = binomial_two_sided(row.at("only_baseline"), row.at("only_candidate"));
    CHECK(row.at("p_value").get<double>() == doctest::Approx(expected).epsilon(1e-12));
  }
  CHECK(tested >= 1);

  // Bad arguments: exit 2 with one line naming the option.
  for (const char* bad :
       {"--max-drop acc=-1", "--max-drop acc", "--max-rise nosuch=1", "--max-drop acc=x%"}) {
    const auto o = test::run_tunebench("gate --baseline 1 --candidate 3 " + std::string(bad) +
                                       " --db " + q(db));
    CHECK_MESSAGE(o.exit_code == 2, bad);
    CHECK_MESSAGE(o.err.find("tunebench: --max-") == 0, o.err);
  }
  CHECK(test::run_tunebench("gate --baseline 1 --candidate 99 --max-drop acc=1 --db " + q(db))
            .exit_code == 2);
}

TEST_CASE("sweep over three checkpoints, killed midway and restarted; compare per step") {
  if (!fs::exists(bundled_model() / "config.json")) {
    MESSAGE("skipped: the bundled tiny-abc-llama is not there");
    return;
  }
  TempDir dir("tb_sweep");
  const fs::path run = dir.path / "run";
  perturb(run / "checkpoint-1000", 0.6, 1);
  perturb(run / "checkpoint-2000", 0.3, 2);
  perturb(run / "checkpoint-3000", 0.1, 3);
  const fs::path db = dir.path / "sweep.sqlite";
  const std::vector<std::string> sweep = {
      TB_TUNEBENCH_BIN, "sweep", run.string(), "--suite",  "abc-ppl", "--chunk-docs", "1",
      "--threads",      "1",     "--db",       db.string()};
  // Kill once the first checkpoint is finished and the second has started.
  const pid_t pid = test::spawn_quiet(sweep);
  bool midway = false;
  for (int i = 0; i < 6000 && !midway; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (!fs::exists(db)) continue;
    try {
      tb::Store store = tb::Store::open(db);
      const auto runs = store.list_runs();
      midway = runs.size() == 2 && runs[0].status == tb::RunStatus::Finished &&
               runs[1].status == tb::RunStatus::Running;
    } catch (const std::exception&) {  // the file is being created
    }
  }
  REQUIRE(midway);
  REQUIRE(kill(pid, SIGKILL) == 0);
  CHECK(test::wait_exit(pid) == 128 + SIGKILL);
  std::string first_finished;
  int64_t first_chunks = 0;
  {
    tb::Store store = tb::Store::open(db);
    first_finished = store.list_runs()[0].finished_at.value_or("");
    for (const auto& p : store.profiles(1)) first_chunks += p.phase == "chunk" ? 1 : 0;
  }
  const auto again =
      test::run_tunebench("sweep " + q(run / "checkpoint-*") +
                          " --suite abc-ppl --chunk-docs 1 --threads 1 --db " + q(db));
  REQUIRE_MESSAGE(again.exit_code == 0, again.err);
  CHECK(again.out.find("run 1: already finished, nothing recomputed") != std::string::npos);
  {
    tb::Store store = tb::Store::open(db);
    const auto runs = store.list_runs();
    REQUIRE(runs.size() == 3);
    for (const auto& r : runs) CHECK(r.status == tb::RunStatus::Finished);
    CHECK(runs[0].finished_at.value_or("") == first_finished);  // not rewritten
    int64_t chunks = 0;
    for (const auto& p : store.profiles(1)) chunks += p.phase == "chunk" ? 1 : 0;
    CHECK(chunks == first_chunks);  // not recomputed
    CHECK(chunks == static_cast<int64_t>(store.samples(1).size()));
    std::vector<int64_t> steps;
    for (const auto& m : store.run_models()) steps.push_back(m.checkpoint_step.value_or(-1));
    CHECK(steps == std::vector<int64_t>{1000, 2000, 3000});
  }
  const auto compared = test::run_tunebench("compare step:1000 step:2000 step:3000 --db " + q(db));
  REQUIRE_MESSAGE(compared.exit_code == 0, compared.err);
  MESSAGE(compared.out);
  CHECK(compared.out.find("step 1000) -> run 2") != std::string::npos);
  CHECK(compared.out.find("step 2000) -> run 3") != std::string::npos);
  CHECK(compared.out.find("perplexity") != std::string::npos);
  CHECK(compared.out.find("better") != std::string::npos);  // less noise, lower perplexity
  // A directory with the same weights shares the run (keyed by content) but keeps its path and
  // step: nothing is computed, and step:4000 names run 3.
  fs::create_directories(dir.path / "copy");
  fs::copy(run / "checkpoint-3000", dir.path / "copy" / "step-4000", fs::copy_options::recursive);
  const auto copy =
      test::run_tunebench("eval --model " + q(dir.path / "copy" / "step-4000") +
                          " --suite abc-ppl --chunk-docs 1 --threads 1 --db " + q(db));
  REQUIRE_MESSAGE(copy.exit_code == 0, copy.err);
  CHECK(copy.out.find("run 3: already finished, nothing recomputed") != std::string::npos);
  {
    tb::Store store = tb::Store::open(db);
    CHECK(store.list_runs().size() == 3);
    const auto models = store.run_models();
    REQUIRE(models.size() == 4);
    const auto copied = std::find_if(models.begin(), models.end(), [](const tb::RunModel& m) {
      return m.checkpoint_step == 4000;
    });
    REQUIRE(copied != models.end());
    CHECK(copied->run_id == 3);
  }
  const auto same = test::run_tunebench("compare step:3000 step:4000 --format json --db " + q(db));
  REQUIRE_MESSAGE(same.exit_code == 0, same.err);
  const auto same_steps = nlohmann::json::parse(same.out);
  CHECK(same_steps.at(0).at("candidate").at("checkpoint_step") == 4000);
  CHECK(same_steps.at(0).at("metrics").at(0).at("delta") == 0.0);

  const auto csv = test::run_tunebench("compare 1 2 3 --format csv --db " + q(db));
  CHECK(csv.exit_code == 0);
  CHECK(std::count(csv.out.begin(), csv.out.end(), '\n') > 2);
}

TEST_CASE("lm-eval results of an MMLU 5-shot run read by make_table show n-shot 5") {
  if (!fs::exists(bundled_model() / "config.json")) {
    MESSAGE("skipped: the bundled tiny-abc-llama is not there");
    return;
  }
  TempDir dir("tb_lmeval");
  const fs::path db = dir.path / "r.sqlite";
  const auto eval = test::run_tunebench("eval --model " + q(bundled_model()) +
                                        " --suite mmlu --limit 0.5 --threads 1 --db " + q(db) +
                                        " --output_path " + q(dir.path / "out") + " --log_samples");
  REQUIRE_MESSAGE(eval.exit_code == 0, eval.err);
  std::vector<fs::path> results, samples;
  for (const auto& e : fs::recursive_directory_iterator(dir.path / "out")) {
    const std::string name = e.path().filename().string();
    if (name.starts_with("results_")) results.push_back(e.path());
    if (name.starts_with("samples_mmlu_")) samples.push_back(e.path());
  }
  REQUIRE(results.size() == 1);
  REQUIRE(samples.size() == 1);
  const auto table = shell("python3 " + q(test::source_dir() / "tests/e2e/lm_eval_table.py") + " " +
                           q(results[0]));
  REQUIRE_MESSAGE(table.exit_code == 0, table.err);
  MESSAGE(table.out);
  CHECK(table.out.find("limit: 0.5, num_fewshot: [5]") != std::string::npos);
  CHECK(table.out.find("|mmlu|mmlu-lmeval-1|none|5|acc|↑|") != std::string::npos);
  CHECK(table.out.find("| - stem|mmlu-lmeval-1|none|5|acc|↑|") != std::string::npos);
  CHECK(table.out.find("|  - high_school_physics|mmlu-lmeval-1|none|5|acc|↑|") !=
        std::string::npos);

  const auto json = nlohmann::json::parse(read_text(results[0]));
  CHECK(json.at("group_subtasks").at("mmlu_stem") ==
        nlohmann::json({"mmlu_elementary_mathematics", "mmlu_high_school_physics"}));
  // --limit 0.5 of each subject's 5 test questions: ceil(2.5) = 3, as lm-eval rounds.
  CHECK(json.at("n-samples").at("mmlu_world_religions") ==
        nlohmann::json({{"original", 5}, {"effective", 3}}));
  CHECK(json.at("results").at("mmlu").at("acc,none").is_number());
  CHECK(json.at("config").at("limit") == 0.5);

  std::ifstream lines(samples[0]);
  int count = 0;
  for (std::string line; std::getline(lines, line); ++count) {
    const auto s = nlohmann::json::parse(line);
    for (const char* key : {"doc_id", "doc", "target", "arguments", "resps", "filtered_resps",
                            "doc_hash", "prompt_hash", "target_hash", "acc"})
      CHECK_MESSAGE(s.contains(key), key);
    CHECK(s.at("filtered_resps").size() == 4);
  }
  CHECK(count == 9);

  // export writes the same results from the store.
  const auto exported =
      test::run_tunebench("export 1 --db " + q(db) + " --output_path " + q(dir.path / "export"));
  REQUIRE_MESSAGE(exported.exit_code == 0, exported.err);
  for (const auto& e : fs::recursive_directory_iterator(dir.path / "export")) {
    if (!e.path().filename().string().starts_with("results_")) continue;
    const auto again = nlohmann::json::parse(read_text(e.path()));
    CHECK(again.at("results") == json.at("results"));
    CHECK(again.at("n-shot") == json.at("n-shot"));
  }

  // --limit: negative and malformed values are refused.
  for (const char* bad : {"-1", "-0.5", "1.5", "x"}) {
    const auto o =
        test::run_tunebench("eval --model " + q(bundled_model()) + " --suite mmlu --limit " +
                            std::string(bad) + " --db " + q(db));
    CHECK_MESSAGE(o.exit_code == 2, bad);
    CHECK(o.err.find("--limit") != std::string::npos);
  }
}
