// Repetition metrics against hand-computed values (the acceptance vector of issue 5 and small
// examples worked out in the comments).
#include <doctest/doctest.h>

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "metrics/repetition.hpp"

using namespace tb::metrics;

namespace {

std::vector<std::string> words(const std::string& text) {
  std::istringstream ss(text);
  std::vector<std::string> out;
  for (std::string w; ss >> w;) out.push_back(w);
  return out;
}

std::vector<int32_t> ids(const std::string& text) {
  return intern(words(text));
}

}  // namespace

TEST_CASE("repetition: the acceptance vector a b c a b c a b c d") {
  const auto t = ids("a b c a b c a b c d");
  // 1-grams: 10, unique {a,b,c,d} = 4 -> 0.6; 2-grams: 9, unique {ab,bc,ca,cd} -> 1 - 4/9;
  // 3-grams: 8, unique {abc,bca,cab,bcd} -> 0.5; 4-grams: 7, unique 4 -> 1 - 4/7.
  CHECK(seq_rep_n(t, 1) == doctest::Approx(0.6).epsilon(1e-12));
  CHECK(seq_rep_n(t, 2) == doctest::Approx(5.0 / 9.0).epsilon(1e-12));
  CHECK(seq_rep_n(t, 3) == doctest::Approx(0.5).epsilon(1e-12));
  CHECK(seq_rep_n(t, 4) == doctest::Approx(3.0 / 7.0).epsilon(1e-12));
  // Printed to four places as the issue states them.
  CHECK(std::round(seq_rep_n(t, 2) * 1e4) == 5556);
  CHECK(std::round(seq_rep_n(t, 4) * 1e4) == 4286);
  // Tokens 4..9 (a b c a b c) were seen in the previous 16; the first three and d were not.
  CHECK(rep_w(t, 16) == doctest::Approx(0.6).epsilon(1e-12));
  // Bigrams ab, bc, ca occur 3, 3, 2 times and cover tokens 1..9; cd occurs once.
  CHECK(rep_r(t) == doctest::Approx(0.9).epsilon(1e-12));
  // "a b c a b c" occurs at 0 and at 3 (overlapping): 6 / 10.
  CHECK(longest_repeated_substring_ratio(t) == doctest::Approx(0.6).epsilon(1e-12));
  // It ends in d: no loop.
  CHECK_FALSE(detect_loop(t).found);

  const RepetitionStats s = repetition_stats(words("a b c a b c a b c d"));
  CHECK(s.seq_rep[1] == doctest::Approx(0.6));
  CHECK(s.seq_rep[3] == doctest::Approx(0.5));
  CHECK(s.rep_w == doctest::Approx(0.6));
  CHECK(s.rep_r == doctest::Approx(0.9));
}

TEST_CASE("repetition: a sequence ending in a 4-token loop") {
  // x y | a b c d | a b c d | a b c d  (14 tokens)
  const auto t = ids("x y a b c d a b c d a b c d");
  const Loop loop = detect_loop(t);
  CHECK(loop.found);
  CHECK(loop.cycle_length == 4);
  CHECK(loop.onset == 2);
  CHECK(loop.repeats == 3);
  // Unique tokens 6 of 14.
  CHECK(seq_rep_n(t, 1) == doctest::Approx(8.0 / 14.0));
  // 3-grams: 12, unique {xya, yab, abc, bcd, cda, dab} = 6.
  CHECK(seq_rep_n(t, 3) == doctest::Approx(0.5));
  // The 8 tokens after the first cycle were seen before.
  CHECK(rep_w(t, 16) == doctest::Approx(8.0 / 14.0));
  // With a window of 3, no token is within 3 of its previous occurrence (period 4).
  CHECK(rep_w(t, 3) == doctest::Approx(0.0));
  CHECK(rep_w(t, 4) == doctest::Approx(8.0 / 14.0));
  // Repeated bigrams ab bc cd da cover tokens 2..13; xy and ya occur once.
  CHECK(rep_r(t) == doctest::Approx(12.0 / 14.0));
  // "a b c d a b c d" at 2 and 6.
  CHECK(longest_repeated_substring_ratio(t) == doctest::Approx(8.0 / 14.0));
  // Two full repeats are not a loop when three are required; they are with two.
  const auto two = ids("x y a b c d a b c d");
  CHECK_FALSE(detect_loop(two).found);
  const Loop l2 = detect_loop(two, 2);
  CHECK(l2.found);
  CHECK(l2.cycle_length == 4);
  CHECK(l2.onset == 2);
  CHECK(l2.repeats == 2);
}

TEST_CASE("repetition: loops choose the tail covering the most tokens") {
  // a a a a: period 1, 4 repeats from 0.
  const Loop a = detect_loop(ids("a a a a"));
  CHECK(a.found);
  CHECK(a.cycle_length == 1);
  CHECK(a.onset == 0);
  CHECK(a.repeats == 4);
  // q a b a b a b a: the periodic tail (period 2) starts at 1, 7 tokens, 3 full cycles.
  const Loop b = detect_loop(ids("q a b a b a b a"));
  CHECK(b.found);
  CHECK(b.cycle_length == 2);
  CHECK(b.onset == 1);
  CHECK(b.repeats == 3);
  // a b c a b c d: no periodic tail.
  CHECK_FALSE(detect_loop(ids("a b c a b c d")).found);
  CHECK_FALSE(detect_loop(ids("")).found);
  const std::vector<std::vector<int32_t>> set = {ids("a a a a"), ids("a b c d"),
                                                 ids("x y x y x y")};
  CHECK(loop_rate(set) == doctest::Approx(2.0 / 3.0));
  CHECK(loop_rate(std::span<const std::vector<int32_t>>()) == 0.0);
}

TEST_CASE("repetition: windows, bars and short sequences") {
  // a b a: with w = 1 the second a is two tokens back (not counted); with w = 2 it is.
  CHECK(rep_w(ids("a b a"), 1) == doctest::Approx(0.0));
  CHECK(rep_w(ids("a b a"), 2) == doctest::Approx(1.0 / 3.0));
  const std::vector<std::string> bars = {"ABcd", "efga", "ABcd", "ABcd"};
  CHECK(bar_repetition_rate(bars) == doctest::Approx(0.5));
  CHECK(bar_repetition_rate(std::span<const std::string>()) == 0.0);
  CHECK(seq_rep_n(ids("a b"), 3) == 0.0);
  CHECK(seq_rep_n(ids("a b c"), 0) == 0.0);
  CHECK(rep_r(ids("a")) == 0.0);
  CHECK(longest_repeated_substring_ratio(ids("a b c d")) == 0.0);
  // a a: "a" occurs twice -> 1/2; rep-r: bigram aa occurs once -> 0.
  CHECK(longest_repeated_substring_ratio(ids("a a")) == doctest::Approx(0.5));
  CHECK(rep_r(ids("a a")) == 0.0);
}
