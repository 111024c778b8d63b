// Gate rules, their verdicts on compared runs, the JUnit report, and compare_runs' pairing.
#include <doctest/doctest.h>

#include <cmath>

#include "harness/core/error.hpp"
#include "reports/compare.hpp"
#include "reports/gate.hpp"

namespace {

tb::Run run(int64_t id, const std::string& suite) {
  tb::Run r;
  r.id = id;
  r.info.suite = suite;
  r.info.model_path = "/m/checkpoint-" + std::to_string(id * 1000);
  r.checkpoint_step = id * 1000;
  return r;
}

tb::SampleRow sample(const std::string& doc, double acc, double nll) {
  tb::SampleRow row;
  row.result.doc_id = doc;
  row.result.subset = "s";
  row.result.values = {{"acc", acc}, {"nll", nll}};
  row.doc_hash = "hash-" + doc;
  return row;
}

}  // namespace

TEST_CASE("gate rules parse; malformed ones name the option") {
  const tb::GateRule drop = tb::parse_gate_rule("acc=0.01", false);
  CHECK(drop.metric == "acc");
  CHECK(drop.amount == 0.01);
  CHECK_FALSE(drop.relative);
  const tb::GateRule rise = tb::parse_gate_rule("perplexity:abc=2%", true);
  CHECK(rise.metric == "perplexity");
  CHECK(rise.subset == "abc");
  CHECK(rise.relative);
  CHECK(rise.amount == 2.0);
  for (const char* bad : {"acc", "=1", "acc=", "acc=-1", "acc=1x", "acc:=1", "acc=nan"}) {
    CAPTURE(bad);
    try {
      tb::parse_gate_rule(bad, false);
      FAIL("accepted");
    } catch (const tb::Error& e) {
      CHECK(e.exit_code() == 2);
      CHECK(std::string(e.what()).starts_with(std::string("--max-drop ") + bad));
    }
  }
}

TEST_CASE("compare_runs pairs documents by hash: McNemar on acc, bootstrap on nll") {
  tb::RunData a{run(1, "mtb"), {}, {}}, b{run(2, "mtb"), {}, {}};
  a.metrics = {{"acc", "", 0.6, 0.1, 10, true}, {"perplexity", "", 5.0, NAN, 10, false}};
  b.metrics = {{"acc", "", 0.3, 0.1, 10, true}, {"perplexity", "", 6.0, NAN, 10, false}};
  // 10 shared documents: right in both 2, right in a only 4, in b only 1, wrong in both 3.
  const int both = 2, only_a = 4, only_b = 1, neither = 3;
  int k = 0;
  auto add = [&](int count, double x, double y) {
    for (int i = 0; i < count; ++i, ++k) {
      a.samples.push_back(sample("d" + std::to_string(k), x, 1.0 + k));
      b.samples.push_back(sample("d" + std::to_string(k), y, 1.5 + k));
    }
  };
  add(both, 1, 1);
  add(only_a, 1, 0);
  add(only_b, 0, 1);
  add(neither, 0, 0);
  b.samples.push_back(sample("only-in-b", 1, 9));  // unpaired: left out of the tests
  const auto rows = tb::compare_runs(a, b, {200, 1, 0.05});
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].metric == "acc");
  CHECK(rows[0].delta == doctest::Approx(-0.3));
  CHECK(rows[0].test == "mcnemar");
  CHECK(rows[0].pairs == 10);
  CHECK(rows[0].only_baseline == 4);
  CHECK(rows[0].only_candidate == 1);
  // 2 * (C(5,0) + C(5,1)) / 32 = 0.375
  CHECK(rows[0].p_value == doctest::Approx(0.375));
  CHECK_FALSE(rows[0].significant);
  CHECK(rows[1].metric == "perplexity");
  CHECK(rows[1].direction == tb::Direction::Lower);
  CHECK(rows[1].test == "bootstrap");
  CHECK(rows[1].ci_low == doctest::Approx(0.5));  // every paired nll is 0.5 higher
  CHECK(rows[1].p_value == 0.0);
  CHECK(rows[1].significant);

  // The gate: acc may drop 0.5, perplexity may rise 10%: acc holds, perplexity (20%) fails.
  std::vector<tb::ComparisonStep> steps = {{a.run, b.run, rows}};
  const std::vector<tb::GateRule> rules = {tb::parse_gate_rule("acc=0.5", false),
                                           tb::parse_gate_rule("perplexity=10%", true)};
  const auto checks = tb::evaluate_gate(rules, steps);
  REQUIRE(checks.size() == 2);
  CHECK(checks[0].passed);
  CHECK_FALSE(checks[1].passed);
  CHECK(checks[1].allowed == doctest::Approx(0.5));
  CHECK(checks[1].message.starts_with("perplexity rose 1.0000 (allowed 0.5000)"));
  const std::string xml = tb::gate_junit_xml(checks);
  CHECK(xml.find("tests=\"2\" failures=\"1\"") != std::string::npos);
  CHECK(xml.find("<testcase classname=\"mtb\" name=\"perplexity max-rise 10%\">") !=
        std::string::npos);
  CHECK(xml.find("<failure message=\"perplexity rose") != std::string::npos);
  // A rule no step has is a bad argument.
  const std::vector<tb::GateRule> unknown = {tb::parse_gate_rule("bleu=1", false)};
  CHECK_THROWS_AS(tb::evaluate_gate(unknown, steps), tb::Error);
  // Runs of different suites are not compared.
  tb::RunData c{run(3, "mmlu"), {}, {}};
  CHECK_THROWS_AS(tb::compare_runs(a, c, {}), tb::Error);
}
