#include <doctest/doctest.h>

#include <cmath>
#include <numbers>

#include "suites/abc_ppl_suite.hpp"
#include "suites/registry.hpp"
#include "tests/unit/suites/test_helpers.hpp"

TEST_CASE("abc-ppl: files split into tunes at X: lines; headers dropped; blank tails trimmed") {
  const auto tunes = tb::suites::split_abc_tunes(
      "% header\n%%abc-version 2.1\n\nX:1\nT:One\nK:C\nCDEF|\n\n\nX:2\nT:Two\nK:G\nGABc|]");
  REQUIRE(tunes.size() == 2);
  CHECK(tunes[0] == "X:1\nT:One\nK:C\nCDEF|\n");
  CHECK(tunes[1] == "X:2\nT:Two\nK:G\nGABc|]\n");
  CHECK(tb::suites::split_abc_tunes("K:C\nCDE|\n") == std::vector<std::string>{"K:C\nCDE|\n"});
  CHECK(tb::suites::split_abc_tunes("\n\n").empty());
}

TEST_CASE("abc-ppl: one rolling request per tune; perplexity and bits per byte by hand") {
  const auto suite = tb::load_suite("abc-ppl");
  REQUIRE(suite->docs().size() == 3);
  CHECK(suite->docs()[0].id == "hillside_set.abc:1");
  CHECK(suite->docs()[2].id == "low_tide.abc:1");
  const auto requests = suite->requests(suite->docs()[1]);
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].type == tb::LmRequest::Type::Rolling);
  CHECK(requests[0].continuation.rfind("X:2\nT:The Lantern Stair\n", 0) == 0);
  CHECK(requests[0].continuation.substr(requests[0].continuation.size() - 6) == "|D4:|\n");

  std::vector<tb::SampleResult> samples;
  const double nll[3] = {30.0, 50.0, 20.0};
  const int64_t tokens[3] = {40, 60, 25};
  double bytes = 0;
  for (size_t i = 0; i < 3; ++i) {
    samples.push_back(
        suite->score(suite->docs()[i], std::vector<tb::LmResponse>{{-nll[i], tokens[i]}}));
    bytes += static_cast<double>(suite->docs()[i].data.at("text").get<std::string>().size());
    CHECK(samples.back().values.at("nll") == nll[i]);
  }
  const auto metrics = suite->aggregate(samples);
  REQUIRE(metrics.size() >= 2);
  CHECK(metrics[0].name == "perplexity");
  CHECK(metrics[0].value == doctest::Approx(std::exp(100.0 / 125.0)));
  CHECK_FALSE(metrics[0].higher_is_better);
  CHECK(metrics[1].name == "bits_per_byte");
  CHECK(metrics[1].value == doctest::Approx(100.0 / std::numbers::ln2 / bytes));
}
