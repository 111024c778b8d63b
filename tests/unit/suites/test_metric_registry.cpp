// The metric registry: one direction per name, prefixes, and every metric the suites report
// is registered (metric_info throws for one that is not).
#include <doctest/doctest.h>

#include <set>

#include "harness/core/error.hpp"
#include "suites/metric_registry.hpp"

TEST_CASE("directions come from one list") {
  CHECK(tb::metric_direction("acc") == tb::Direction::Higher);
  CHECK(tb::metric_direction("perplexity") == tb::Direction::Lower);
  CHECK(tb::metric_direction("bits_per_byte") == tb::Direction::Lower);
  // Token counts are descriptive in every suite (abc-ppl's total, abc-gen's mean per tune).
  CHECK(tb::metric_direction("tokens") == tb::Direction::None);
  CHECK(tb::metric_direction("tokens_per_tune") == tb::Direction::None);
  CHECK(tb::metric_direction("pitch_range") == tb::Direction::None);
  CHECK(tb::metric_direction("kl_pitch_range") == tb::Direction::Lower);
  CHECK(tb::metric_direction("oa_pitch_range") == tb::Direction::Higher);
  CHECK(tb::metric_info("kl_avg_IOI").name == "kl_avg_IOI");
  CHECK(tb::metric_info("acc").paired_test == tb::PairedTest::McNemar);
  CHECK(tb::metric_info("perplexity").sample_value == "nll");
  CHECK(tb::metric_info("perplexity").stderr_rule == tb::StderrRule::None);
  CHECK(tb::metric_info("seq_rep_4").paired_test == tb::PairedTest::Bootstrap);
  CHECK_FALSE(tb::find_metric("kl_").has_value());  // a prefix alone is no name
  CHECK_FALSE(tb::find_metric("bleu").has_value());
  CHECK_THROWS_AS(tb::higher_is_better("bleu"), tb::Error);
  CHECK(std::string(tb::to_string(tb::Direction::None)) == "none");
}

TEST_CASE("each name is registered once") {
  std::set<std::string> names;
  for (const tb::MetricInfo& m : tb::metric_registry()) {
    CAPTURE(m.name);
    CHECK(names.insert(m.name).second);
    // A metric with a paired test names the per-sample value it reads.
    if (m.paired_test != tb::PairedTest::None) CHECK_FALSE(m.sample_value.empty());
  }
}
