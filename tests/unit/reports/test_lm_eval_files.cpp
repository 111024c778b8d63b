// lm-eval's per-sample lines and file names, against hand-written expectations.
#include <doctest/doctest.h>

#include <unistd.h>
#include <cmath>
#include <filesystem>
#include <fstream>

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
