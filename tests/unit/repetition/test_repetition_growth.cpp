// The repetition metrics on degenerate input (issue 17): a generation that loops for its whole
// budget is one repeated token or one repeated bar. The longest repeated substring and the loop
// detector were quadratic there; they are checked against the quadratic definitions on random
// short sequences, then their work is counted (not timed) at n and 10n.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "metrics/repetition.hpp"
#include "metrics/suffix_array.hpp"

using namespace tb::metrics;

namespace {

// The definitions, quadratic: every pair of start positions.
size_t brute_longest_repeat(const std::vector<int32_t>& t) {
  size_t best = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    for (size_t j = i + 1; j < t.size(); ++j) {
      size_t k = 0;
      while (j + k < t.size() && t[i + k] == t[j + k]) ++k;
      best = std::max(best, k);
    }
  }
  return best;
}

Loop brute_loop(const std::vector<int32_t>& t, size_t min_repeats) {
  Loop best;
  const size_t n = t.size();
  size_t best_len = 0;
  for (size_t p = 1; p * min_repeats <= n; ++p) {
    size_t len = p;
    while (len < n && t[n - 1 - len] == t[n - 1 - len + p]) ++len;
    if (len / p >= min_repeats && len > best_len) {
      best_len = len;
      best = {true, p, n - len, len / p};
    }
  }
  return best;
}

std::vector<int32_t> random_tokens(std::mt19937& rng, size_t n, int alphabet) {
  std::uniform_int_distribution<int32_t> pick(0, alphabet - 1);
  std::vector<int32_t> t(n);
  for (auto& x : t) x = pick(rng);
  return t;
}

}  // namespace

TEST_CASE("suffix array: sorted suffixes and LCPs on random sequences") {
  std::mt19937 rng(17);
  for (int trial = 0; trial < 200; ++trial) {
    const auto t = random_tokens(rng, 1 + trial % 40, 1 + trial % 4);
    const auto sa = suffix_array(t);
    const auto lcp = lcp_array(t, sa);
    for (size_t r = 1; r < sa.size(); ++r) {
      REQUIRE(
          std::lexicographical_compare(t.begin() + sa[r - 1], t.end(), t.begin() + sa[r], t.end()));
      size_t k = 0;
      while (sa[r] + k < t.size() && sa[r - 1] + k < t.size() && t[sa[r] + k] == t[sa[r - 1] + k])
        ++k;
      REQUIRE(lcp[r] == k);
    }
    REQUIRE(longest_repeat_length(t) == brute_longest_repeat(t));
  }
}

TEST_CASE("longest repeat and loop agree with their quadratic definitions") {
  std::mt19937 rng(5);
  for (int trial = 0; trial < 300; ++trial) {
    auto t = random_tokens(rng, static_cast<size_t>(trial % 50), 1 + trial % 3);
    // Some sequences end in a planted loop.
    const size_t p = 1 + static_cast<size_t>(trial) % 5;
    if (trial % 3 == 0 && t.size() >= p) {
      for (size_t i = 0; i < 4 * p; ++i) {
        const int32_t repeated = t[t.size() - p];
        t.push_back(repeated);
      }
    }
    const double expected =
        t.size() < 2 ? 0.0
                     : static_cast<double>(brute_longest_repeat(t)) / static_cast<double>(t.size());
    REQUIRE(longest_repeated_substring_ratio(t) == doctest::Approx(expected));
    for (size_t m : {1, 2, 3}) {
      const Loop a = detect_loop(t, m);
      const Loop b = brute_loop(t, m);
      REQUIRE(a.found == b.found);
      REQUIRE(a.cycle_length == b.cycle_length);
      REQUIRE(a.onset == b.onset);
      REQUIRE(a.repeats == b.repeats);
    }
  }
}

// Work at n and 10n: quadratic would be 100x, n log n at these sizes is at most
// 10 * log2(10^5) / log2(10^4) = 12.5x.
TEST_CASE("longest repeat and loop detection: work grows as n log n on a repeated token") {
  auto work_at = [](size_t n, auto metric) {
    const std::vector<int32_t> same(n, 7);
    WorkCounter w;
    metric(same, w);
    return static_cast<double>(w.steps);
  };
  auto repeat = [](const std::vector<int32_t>& t, WorkCounter& w) {
    CHECK(longest_repeated_substring_ratio(t, &w) ==
          doctest::Approx(1.0 - 1.0 / static_cast<double>(t.size())));
  };
  auto loop = [](const std::vector<int32_t>& t, WorkCounter& w) {
    CHECK(detect_loop(t, 3, &w).cycle_length == 1);
  };
  const double bound = 10.0 * std::log2(1e5) / std::log2(1e4);
  const double repeat_ratio = work_at(100'000, repeat) / work_at(10'000, repeat);
  const double loop_ratio = work_at(100'000, loop) / work_at(10'000, loop);
  MESSAGE("work ratio at 10x the tokens: longest repeat ", repeat_ratio, ", loop ", loop_ratio);
  CHECK(repeat_ratio <= bound);
  CHECK(loop_ratio <= bound);
  // A tune of 10^6 characters (a loop for the whole budget) is measured, not waited on.
  const std::vector<int32_t> million(1'000'000, 3);
  WorkCounter w;
  CHECK(longest_repeated_substring_ratio(million, &w) > 0.99);
  CHECK(w.steps < 40'000'000);
}
