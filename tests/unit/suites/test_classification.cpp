#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "metrics/classification.hpp"

namespace m = tb::metrics;

TEST_CASE("classification: accuracy and lm-eval's sample standard error, by hand") {
  const std::vector<double> acc = {1, 0, 1, 1};
  CHECK(m::mean(acc) == doctest::Approx(0.75));
  // sample variance = (3 * 0.25^2 + 0.75^2) / 3 = 0.25; stderr = sqrt(0.25 / 4) = 0.25
  CHECK(m::mean_stderr(acc) == doctest::Approx(0.25));
  const std::vector<double> five = {1, 1, 0, 0, 0};
  // mean 0.4, var = (2 * 0.36 + 3 * 0.16) / 4 = 0.3, stderr = sqrt(0.3 / 5)
  CHECK(m::mean_stderr(five) == doctest::Approx(std::sqrt(0.06)));
  CHECK(std::isnan(m::mean_stderr(std::vector<double>{1.0})));
  CHECK(std::isnan(m::mean(std::vector<double>{})));
}

TEST_CASE("classification: micro versus macro average") {
  // Subject A: 3 of 4 right; subject B: 0 of 2 right.
  const m::SubsetMean a = m::summarize(std::vector<double>{1, 0, 1, 1});
  const m::SubsetMean b = m::summarize(std::vector<double>{0, 0});
  const std::vector<m::SubsetMean> members = {a, b};
  const m::SubsetMean micro = m::micro_average(members);
  CHECK(micro.value == doctest::Approx(0.5));  // 3 / 6 questions
  CHECK(micro.n == 6);
  // lm-eval pooled: sqrt(((4-1) * 0.25^2 * 4 + (2-1) * 0^2 * 2) / (6 - 2) / 6)
  CHECK(micro.standard_error == doctest::Approx(std::sqrt(0.75 / 4.0 / 6.0)));
  const m::SubsetMean macro = m::macro_average(members);
  CHECK(macro.value == doctest::Approx(0.375));           // (0.75 + 0) / 2
  CHECK(macro.standard_error == doctest::Approx(0.125));  // sqrt(0.25^2 + 0) / 2
  CHECK(macro.n == 6);
}

TEST_CASE("classification: pooled stderr matches lm-eval's formula on uneven members") {
  const std::vector<double> se = {0.1, 0.2, 0.05};
  const std::vector<int64_t> n = {10, 20, 30};
  // (9*0.01*10 + 19*0.04*20 + 29*0.0025*30) / (60 - 3) / 60
  const double expected = std::sqrt((0.9 + 15.2 + 2.175) / 57.0 / 60.0);
  CHECK(m::pooled_sample_stderr(se, n) == doctest::Approx(expected));
}

TEST_CASE("classification: bootstrap stderr is seeded, reproducible and near the analytic one") {
  std::vector<double> values;
  for (int i = 0; i < 200; ++i) values.push_back(i % 3 == 0 ? 1.0 : 0.0);
  const double b1 = m::bootstrap_stderr(values, 2000, 1234);
  const double b2 = m::bootstrap_stderr(values, 2000, 1234);
  const double b3 = m::bootstrap_stderr(values, 2000, 99);
  CHECK(b1 == b2);
  CHECK(b1 != b3);
  const double analytic = m::mean_stderr(values);
  CHECK(b1 == doctest::Approx(analytic).epsilon(0.1));
  CHECK(b3 == doctest::Approx(analytic).epsilon(0.1));
  // SplitMix64's first output for seed 0 (Vigna's reference implementation).
  m::SplitMix64 rng(0);
  CHECK(rng.next() == 0xE220A8397B1DCDAFULL);
}
