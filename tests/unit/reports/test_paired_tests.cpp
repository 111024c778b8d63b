// Exact McNemar and the seeded paired bootstrap, against values worked by hand.
#include <doctest/doctest.h>

#include <vector>

#include "reports/paired_tests.hpp"

TEST_CASE("exact McNemar: two-sided binomial tail of the discordant pairs") {
  // b = 1, c = 6: n = 7, P(X <= 1) = (C(7,0) + C(7,1)) / 2^7 = 8 / 128; two-sided 0.125.
  CHECK(tb::mcnemar_exact_p(1, 6) == doctest::Approx(0.125).epsilon(1e-12));
  CHECK(tb::mcnemar_exact_p(6, 1) == doctest::Approx(0.125).epsilon(1e-12));
  // b = 0, c = 5: 2 * 1/32.
  CHECK(tb::mcnemar_exact_p(0, 5) == doctest::Approx(0.0625).epsilon(1e-12));
  // b = 2, c = 8: 2 * (1 + 10 + 45) / 1024 = 0.109375.
  CHECK(tb::mcnemar_exact_p(2, 8) == doctest::Approx(0.109375).epsilon(1e-12));
  // b = 3, c = 3: 2 * 42/64 > 1, capped.
  CHECK(tb::mcnemar_exact_p(3, 3) == 1.0);
  CHECK(tb::mcnemar_exact_p(0, 0) == 1.0);
  // Large n stays finite (log-space terms): b = 400, c = 500 is far beyond noise.
  const double p = tb::mcnemar_exact_p(400, 500);
  CHECK(p > 0.0);
  CHECK(p < 0.002);
  CHECK_THROWS(tb::mcnemar_exact_p(-1, 2));
}

TEST_CASE("SplitMix64 matches the reference stream") {
  // The first two outputs for seed 0 of Vigna's splitmix64.c.
  uint64_t state = 0;
  CHECK(tb::splitmix64_next(state) == 0xe220a8397b1dcdafULL);
  CHECK(tb::splitmix64_next(state) == 0x6e789e6aa1b965f4ULL);
}

TEST_CASE("paired bootstrap: a case small enough to follow by hand") {
  // Deltas {0, 1}; seed 42 draws the index pairs (1,1), (0,0), (0,0), (1,0) (the low bits of
  // the SplitMix64 stream), so the resampled means are 1, 0, 0, 0.5; sorted 0, 0, 0.5, 1.
  // 2.5th percentile (position 0.075) 0; 97.5th (position 2.925) 0.5 + 0.925 * 0.5 = 0.9625.
  // Two of four means are <= 0 and all four >= 0: p = 2 * 2/4 = 1.
  const std::vector<double> a = {1.0, 2.0}, b = {1.0, 3.0};
  const tb::BootstrapResult r = tb::paired_bootstrap(a, b, 4, 42);
  CHECK(r.mean_delta == 0.5);
  CHECK(r.low == 0.0);
  CHECK(r.high == doctest::Approx(0.9625).epsilon(1e-12));
  CHECK(r.p_value == 1.0);
  CHECK(r.resamples == 4);
}

TEST_CASE("paired bootstrap: a constant shift is beyond noise, no shift is not; seeds repeat") {
  std::vector<double> a, b;
  for (int i = 0; i < 50; ++i) {
    a.push_back(i * 0.1);
    b.push_back(i * 0.1 + 0.25);
  }
  const tb::BootstrapResult shift = tb::paired_bootstrap(a, b, 500, 7);
  CHECK(shift.mean_delta == doctest::Approx(0.25));
  CHECK(shift.low == doctest::Approx(0.25));
  CHECK(shift.high == doctest::Approx(0.25));
  CHECK(shift.p_value == 0.0);
  const tb::BootstrapResult same = tb::paired_bootstrap(a, a, 500, 7);
  CHECK(same.p_value == 1.0);
  // The same seed gives the same interval; another seed another one.
  std::vector<double> noisy = a;
  for (size_t i = 0; i < noisy.size(); ++i) noisy[i] += (i % 3 == 0 ? 0.3 : -0.1);
  const auto x = tb::paired_bootstrap(a, noisy, 300, 11);
  const auto y = tb::paired_bootstrap(a, noisy, 300, 11);
  const auto z = tb::paired_bootstrap(a, noisy, 300, 12);
  CHECK(x.low == y.low);
  CHECK(x.high == y.high);
  CHECK((x.low != z.low || x.high != z.high));
  CHECK_THROWS(tb::paired_bootstrap(a, std::vector<double>{1.0}, 10, 1));
  CHECK(tb::paired_bootstrap({}, {}, 10, 1).p_value == 1.0);
}
