// lm-eval's per-sample lines and file names, against hand-written expectations.
#include <doctest/doctest.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "reports/lm_eval_files.hpp"

TEST_CASE("lm-eval date ids and sanitized model names") {
  // 2024-05-01 10:00:00.5 UTC is 1714557600.5 Unix seconds.
  CHECK(tb::lm_eval_date_id(1714557600.5) == "2024-05-01T10-00-00.500000");
  CHECK(tb::unix_seconds("2024-05-01T10:00:00.500Z") == 1714557600.5);
  CHECK(std::isnan(tb::unix_seconds("yesterday")));
  CHECK(tb::sanitize_model_name("/models/m-1.0/checkpoint 5") == "__models__m-1.0__checkpoint_5");
}

TEST_CASE("a multiple-choice sample as lm-eval logs it") {
  tb::SampleRow row;
  row.result.doc_id = "q7";
  row.result.subset = "anatomy";
  row.result.prompt = "Q?\nAnswer:";
  row.result.target = " B";
  row.result.option_scores = {-2.0, -0.5, -3.0, -1.0};
  row.result.prediction = 1;
  row.result.gold = 1;
  row.result.values = {{"acc", 1.0}};
  row.doc_hash = "d";
  row.prompt_hash = "p";
  row.target_hash = "t";
  row.doc = {{"question", "Q?"}};
  const auto s = tb::lm_eval_sample(row, 3);
  CHECK(s.at("doc_id") == 3);
  CHECK(s.at("tb_doc_id") == "q7");
  CHECK(s.at("doc") == nlohmann::json({{"question", "Q?"}}));
  CHECK(s.at("target") == " B");
  CHECK(s.at("arguments").size() == 4);
  CHECK(s.at("arguments").at("gen_args_2").at("arg_0") == "Q?\nAnswer:");
  CHECK(s.at("resps") == nlohmann::json::parse("[[[-2.0,false]],[[-0.5,true]],[[-3.0,false]],"
                                               "[[-1.0,false]]]"));
  CHECK(s.at("filtered_resps") ==
        nlohmann::json::parse("[[-2.0,false],[-0.5,true],[-3.0,false],[-1.0,false]]"));
  CHECK(s.at("acc") == 1.0);
  CHECK(s.at("doc_hash") == "d");
  CHECK(s.at("prompt_hash") == "p");
  CHECK(s.at("target_hash") == "t");

  // A generation: one request, the text as the response.
  tb::SampleRow gen;
  gen.result.prompt = "X:1\n";
  gen.result.response = "T:tune\n";
  const auto g = tb::lm_eval_sample(gen, 0);
  CHECK(g.at("resps") == nlohmann::json::parse(R"([["T:tune\n"]])"));
  CHECK(g.at("filtered_resps") == nlohmann::json::parse(R"(["T:tune\n"])"));
}

TEST_CASE("results and samples files land under the sanitized model name") {
  const auto dir =
      std::filesystem::temp_directory_path() / ("tb_lmeval_files_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  tb::RunFiles run;
  run.metrics.run.info.model_path = "/m/x";
  run.metrics.run.info.suite = "mtb";
  run.metrics.metrics = {{"acc", "", 0.5, 0.1, 2, true}};
  tb::SampleRow row;
  row.result.option_scores = {0.0, -1.0};
  run.samples = {row, row};
  const std::vector<tb::RunFiles> runs = {run};
  const auto files = tb::write_lm_eval_files(dir, runs, true, "2024-05-01T10-00-00.000000");
  REQUIRE(files.size() == 2);
  CHECK(files[0] == dir / "__m__x" / "results_2024-05-01T10-00-00.000000.json");
  CHECK(files[1] == dir / "__m__x" / "samples_mtb_2024-05-01T10-00-00.000000.jsonl");
  std::ifstream in(files[1]);
  int lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  CHECK(lines == 2);
  std::filesystem::remove_all(dir);
}

namespace {

tb::SampleRow choice_row(const std::string& prompt, size_t options) {
  tb::SampleRow row;
  row.result.doc_id = "q1";
  row.result.prompt = prompt;
  row.result.target = " A";
  for (size_t i = 0; i < options; ++i) row.result.option_scores.push_back(-1.0 - double(i));
  row.result.prediction = 0;
  row.result.gold = 0;
  row.result.values = {{"acc", 1.0}, {"aaa", 0.5}};  // "aaa" sorts before "arguments"
  row.doc = {{"question", prompt}};
  return row;
}

std::vector<std::string> sample_lines(const std::filesystem::path& dir, const tb::RunFiles& run) {
  const std::vector<tb::RunFiles> runs = {run};
  const auto files = tb::write_lm_eval_files(dir, runs, true, "2024-05-01T10-00-00.000000");
  std::ifstream in(files.at(1), std::ios::binary);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

// Issue 31: `export` of one sample with 500k options built the prompt once per option, twice
// (the JSON tree, then the file's text): out of memory. The samples file is now written
// straight from one escaped copy of the prompt; its lines are the dump of lm_eval_sample.
TEST_CASE("samples lines equal lm_eval_sample's dump; the prompt is not copied per option") {
  const auto dir =
      std::filesystem::temp_directory_path() / ("tb_lmeval_stream_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  tb::RunFiles run;
  run.metrics.run.info.model_path = "/m/x";
  run.metrics.run.info.suite = "mtb";
  tb::SampleRow gen;
  gen.result.prompt = "X:1\n\"quoted\" \xe9";  // not UTF-8: written as U+FFFD
  gen.result.response = "T:tune\n";
  run.samples = {choice_row("Q?\nAnswer:", 4), gen};
  const auto lines = sample_lines(dir, run);
  REQUIRE(lines.size() == 2);
  const auto replace = nlohmann::json::error_handler_t::replace;
  CHECK(lines[0] == tb::lm_eval_sample(run.samples[0], 0).dump(-1, ' ', false, replace));
  CHECK(lines[1] == tb::lm_eval_sample(run.samples[1], 1).dump(-1, ' ', false, replace));

  // 8000 options of a 16 KiB prompt: a 131 MB line, written under an address-space limit of
  // 96 MB more than the process already has (the tree and the text needed 256 MB).
  std::filesystem::create_directories(dir);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    long pages = 0;
    std::ifstream("/proc/self/statm") >> pages;
    const rlim_t limit = static_cast<rlim_t>(pages) * 4096 + (rlim_t{96} << 20);
    const rlimit rl{limit, limit};
    setrlimit(RLIMIT_AS, &rl);
    int code = 0;
    try {
      tb::RunFiles big = run;
      big.samples = {choice_row(std::string(16 << 10, 'q'), 8000)};
      const std::vector<tb::RunFiles> runs = {big};
      tb::write_lm_eval_files(dir / "big", runs, true, "2024-05-01T10-00-00.000000");
    } catch (...) {
      code = 3;
    }
    _exit(code);
  }
  int status = 0;
  waitpid(child, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  const auto written = dir / "big" / "__m__x" / "samples_mtb_2024-05-01T10-00-00.000000.jsonl";
  CHECK(std::filesystem::file_size(written) > size_t{8000} * (16 << 10));
  std::filesystem::remove_all(dir);
}
