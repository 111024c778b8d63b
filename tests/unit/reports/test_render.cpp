// Metric tables (text, Markdown) and lm-eval style JSON, against hand-written expectations.
#include <doctest/doctest.h>

#include <limits>
#include <vector>

#include "reports/render_json.hpp"
#include "reports/render_table.hpp"
#include "reports/report_data.hpp"

namespace {

tb::Run sample_run() {
  // Designated initialisers: GCC 12's -Wrestrict misfires on assigning short literals.
  return tb::Run{.id = 3,
                 .run_key = "",
                 .info = {.model_path = "/models/chatmusician",
                          .model_hash = "0123456789abcdef",
                          .config = {},
                          .tokenizer = "",
                          .tunebench_git_sha = "",
                          .device = "cuda:0",
                          .dtype = "bf16",
                          .batch_tokens = 8192,
                          .seed = 1234,
                          .suite = "mtb",
                          .suite_version = "1",
                          .options = {{"shots", 5}}},
                 .checkpoint_step = 1000,
                 .started_at = "2024-05-01T10:00:00.000Z",
                 .finished_at = std::nullopt,
                 .status = tb::RunStatus::Finished};
}

const std::vector<tb::MetricValue> kMetrics = {
    {"acc", "", 0.395, 0.0125, 372, true},
    {"acc", "knowledge", 0.5, std::numeric_limits<double>::quiet_NaN(), 10, true},
    {"ppl", "a|b", 3.25, 0.5, 372, false}};

}  // namespace

TEST_CASE("Markdown metric table") {
  const std::string expected =
      "| Suite | Version | Subset    | Metric |  Value | Stderr |   N |\n"
      "|-------|---------|-----------|--------|-------:|-------:|----:|\n"
      "| mtb   | 1       | (all)     | acc \u2191  | 0.3950 | 0.0125 | 372 |\n"
      "|       |         | knowledge | acc \u2191  | 0.5000 |    N/A |  10 |\n"
      "|       |         | a\\|b      | ppl \u2193  | 3.2500 | 0.5000 | 372 |\n";
  CHECK(tb::render_metric_table(sample_run(), kMetrics, tb::TableFormat::Markdown) == expected);
}

TEST_CASE("plain text metric table") {
  const std::string expected =
      "Suite  Version  Subset     Metric   Value  Stderr    N\n"
      "-----  -------  ---------  ------  ------  ------  ---\n"
      "mtb    1        (all)      acc \u2191   0.3950  0.0125  372\n"
      "                knowledge  acc \u2191   0.5000     N/A   10\n"
      "                a|b        ppl \u2193   3.2500  0.5000  372\n";
  CHECK(tb::render_metric_table(sample_run(), kMetrics, tb::TableFormat::Text) == expected);
}

TEST_CASE("lm-eval results JSON") {
  tb::Run run = sample_run();
  run.finished_at = "2024-05-01T10:01:30.500Z";
  run.info.tunebench_git_sha = "abc123";
  const std::vector<tb::RunMetrics> runs = {{run, kMetrics}};
  const auto json = nlohmann::json::parse(tb::render_lm_eval_json(runs).dump());
  const auto expected = nlohmann::json::parse(R"({
    "results": {
      "mtb": {"alias": "mtb", "acc,none": 0.395, "acc_stderr,none": 0.0125},
      "mtb_knowledge": {"alias": " - knowledge", "acc,none": 0.5, "acc_stderr,none": "N/A"},
      "mtb_a|b": {"alias": " - a|b", "ppl,none": 3.25, "ppl_stderr,none": 0.5}
    },
    "groups": {"mtb": {"alias": "mtb", "acc,none": 0.395, "acc_stderr,none": 0.0125}},
    "group_subtasks": {"mtb": ["mtb_knowledge", "mtb_a|b"]},
    "configs": {
      "mtb": {"task": "mtb", "version": "1", "num_fewshot": 5, "options": {"shots": 5}},
      "mtb_knowledge": {"task": "mtb_knowledge", "version": "1", "num_fewshot": 5,
                        "options": {"shots": 5}},
      "mtb_a|b": {"task": "mtb_a|b", "version": "1", "num_fewshot": 5, "options": {"shots": 5}}
    },
    "versions": {"mtb": "1", "mtb_knowledge": "1", "mtb_a|b": "1"},
    "n-shot": {"mtb": 5, "mtb_knowledge": 5, "mtb_a|b": 5},
    "higher_is_better": {"mtb": {"acc": true}, "mtb_knowledge": {"acc": true},
                         "mtb_a|b": {"ppl": false}},
    "n-samples": {"mtb_knowledge": {"original": 10, "effective": 10},
                  "mtb_a|b": {"original": 372, "effective": 372}},
    "config": {"model": "tunebench", "model_args": "pretrained=/models/chatmusician",
               "model_path": "/models/chatmusician", "model_hash": "0123456789abcdef",
               "checkpoint_step": 1000, "tokenizer": "", "batch_size": 8192, "device": "cuda:0",
               "dtype": "bf16", "batch_tokens": 8192, "limit": null, "random_seed": 1234,
               "tunebench_git_sha": "abc123"},
    "git_hash": "abc123",
    "model_name": "/models/chatmusician",
    "model_name_sanitized": "__models__chatmusician",
    "model_source": "tunebench",
    "date": 1714557600.0,
    "start_time": 1714557600.0,
    "end_time": 1714557690.5,
    "total_evaluation_time_seconds": "90.500000"
  })");
  CHECK(json == expected);
}

TEST_CASE("lm-eval results JSON nests MMLU subjects under their category") {
  tb::Run run = sample_run();
  run.info.suite = "mmlu";
  run.info.options = {{"suite", {{"kind", "mmlu"}, {"shots", 5}}}, {"limit", 0.5}};
  tb::RunMetrics rm{run,
                    {{"acc", "", 0.5, 0.1, 4, true},
                     {"acc", "anatomy", 0.25, 0.1, 2, true},
                     {"acc", "world_religions", 0.75, 0.1, 2, true},
                     {"acc", "stem", 0.25, 0.1, 2, true},
                     {"acc", "humanities", 0.75, 0.1, 2, true}},
                    {{"anatomy", "stem"}, {"world_religions", "humanities"}},
                    {{"anatomy", 4}, {"world_religions", 3}},
                    {{"anatomy", 2}, {"world_religions", 2}}};
  const std::vector<tb::RunMetrics> runs = {rm};
  const auto ordered = tb::render_lm_eval_json(runs);
  const auto json = nlohmann::json::parse(ordered.dump());
  std::vector<std::string> order;
  for (const auto& [task, result] : ordered.at("results").items())
    order.push_back(task + "=" + result.at("alias").get<std::string>());
  // Depth first, as lm-eval prints groups; the aliases carry its indentation by depth.
  CHECK(order == std::vector<std::string>{
                     "mmlu=mmlu", "mmlu_stem= - stem", "mmlu_anatomy=  - anatomy",
                     "mmlu_humanities= - humanities", "mmlu_world_religions=  - world_religions"});
  CHECK(json.at("group_subtasks") ==
        nlohmann::json({{"mmlu", {"mmlu_stem", "mmlu_humanities"}},
                        {"mmlu_stem", {"mmlu_anatomy"}},
                        {"mmlu_humanities", {"mmlu_world_religions"}}}));
  CHECK(json.at("n-shot").at("mmlu_anatomy") == 5);
  CHECK(json.at("n-shot").at("mmlu") == 5);
  CHECK(json.at("n-samples") ==
        nlohmann::json({{"mmlu_anatomy", {{"original", 4}, {"effective", 2}}},
                        {"mmlu_world_religions", {{"original", 3}, {"effective", 2}}}}));
  CHECK(json.at("config").at("limit") == 0.5);
  CHECK(json.at("groups").size() == 3);
}

TEST_CASE("hardest questions: the question asked, not the few-shot examples or option A's text") {
  // lm-eval's MMLU 5-shot: header, examples, then the question ending "Answer:".
  CHECK(tb::question_of_prompt("The following are multiple choice questions (with answers) about "
                               "x.\n\nQ1?\nA. a\nB. b\nAnswer: B\n\nQ2?\nA. c\nB. d\nAnswer:") ==
        "Q2?\nA. c\nB. d\nAnswer:");
  // MusicTheoryBench in perplexity mode: the prompt is option A's whole text.
  CHECK(tb::question_of_prompt("Read the following.\nWhich field?\nA. K:\nB. L:\nAnswer: A") ==
        "Read the following.\nWhich field?\nA. K:\nB. L:\nAnswer:");
  // A zero-shot prompt without blank lines is the question; trailing blank lines do not count.
  CHECK(tb::question_of_prompt("Q?\nAnswer:\n\n") == "Q?\nAnswer:");
  CHECK(tb::question_of_prompt("") == "");
}
