// Metric tables (text, Markdown) and lm-eval style JSON, against hand-written expectations.
#include <doctest/doctest.h>

#include <limits>
#include <vector>

#include "reports/render_json.hpp"
#include "reports/render_table.hpp"

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
  const std::vector<tb::RunMetrics> runs = {{sample_run(), kMetrics}};
  const auto json = tb::render_lm_eval_json(runs);
  const auto expected = nlohmann::json::parse(R"({
    "results": {
      "mtb": {"alias": "mtb", "acc,none": 0.395, "acc_stderr,none": 0.0125},
      "mtb_knowledge": {"alias": " - knowledge", "acc,none": 0.5, "acc_stderr,none": "N/A"},
      "mtb_a|b": {"alias": " - a|b", "ppl,none": 3.25, "ppl_stderr,none": 0.5}
    },
    "group_subtasks": {"mtb": ["mtb_knowledge", "mtb_a|b"]},
    "configs": {
      "mtb": {"task": "mtb", "version": "1", "options": {"shots": 5}},
      "mtb_knowledge": {"task": "mtb_knowledge", "version": "1", "options": {"shots": 5}},
      "mtb_a|b": {"task": "mtb_a|b", "version": "1", "options": {"shots": 5}}
    },
    "versions": {"mtb": "1", "mtb_knowledge": "1", "mtb_a|b": "1"},
    "n-shot": {"mtb": 5, "mtb_knowledge": 5, "mtb_a|b": 5},
    "higher_is_better": {"mtb": {"acc": true}, "mtb_knowledge": {"acc": true},
                         "mtb_a|b": {"ppl": false}},
    "n-samples": {"mtb": {"original": 372, "effective": 372},
                  "mtb_knowledge": {"original": 10, "effective": 10},
                  "mtb_a|b": {"original": 372, "effective": 372}},
    "config": {"model": "tunebench", "model_args": "pretrained=/models/chatmusician",
               "model_path": "/models/chatmusician", "model_hash": "0123456789abcdef",
               "checkpoint_step": 1000, "tokenizer": "", "device": "cuda:0", "dtype": "bf16",
               "batch_tokens": 8192, "random_seed": 1234, "tunebench_git_sha": ""}
  })");
  CHECK(json == expected);
}
