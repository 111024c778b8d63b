#pragma once
// Repetition and loop metrics over token sequences (model tokens, words, ABC bars).
// Standard library only. Every ratio is in [0, 1]; a sequence too short to hold what a metric
// counts (no n-gram, no token) scores 0: no repetition was observed.
//
// Definitions (the acceptance vector `a b c a b c a b c d` gives seq-rep-1..4 = .6/.5556/.5/
// .4286, rep-w(16) = .6, rep-r = .9, longest repeated substring ratio = .6):
//   seq-rep-n (Welleck et al. 2020, "Neural text generation with unlikelihood training"):
//     1 - |unique n-grams| / |n-grams|.
//   rep-w (Welleck et al.'s rep/l, Fu et al. 2021): the fraction of tokens that also occur among
//     the w tokens before them (the first token counts as new).
//   rep-r (Fu et al. 2021, "A theoretical analysis of the repetition problem in text
//     generation"): the fraction of tokens inside a repeated snippet, i.e. covered by a pair of
//     consecutive tokens that occurs at least twice in the sequence.
//   longest repeated substring ratio: the length of the longest run of tokens that occurs at
//     least twice (occurrences may overlap) divided by the sequence length.
//   bar repetition rate: 1 - |unique bars| / |bars|.
//   loop: the sequence ends in a cycle of length p repeated until its end at least
//     `min_repeats` full times (a generation stuck until the token limit).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "metrics/suffix_array.hpp"

namespace tb::metrics {

double seq_rep_n(std::span<const int32_t> tokens, int n);
double rep_w(std::span<const int32_t> tokens, int w = 16);
double rep_r(std::span<const int32_t> tokens);
// O(n log n) (suffix array); `work`, when given, counts its elementary steps (for tests).
double longest_repeated_substring_ratio(std::span<const int32_t> tokens,
                                        WorkCounter* work = nullptr);
double bar_repetition_rate(std::span<const std::string> bars);

struct Loop {
  bool found = false;
  size_t cycle_length = 0;  // p
  size_t onset = 0;         // index where the periodic tail starts
  size_t repeats = 0;       // full cycles in the tail: (size - onset) / p
};

// The periodic tail covering the most tokens (the shortest cycle on ties), among cycles of
// length 1..size/min_repeats; found when it holds at least min_repeats full cycles.
// O(n) (Z-function); `work` as above.
Loop detect_loop(std::span<const int32_t> tokens, size_t min_repeats = 3,
                 WorkCounter* work = nullptr);
// Fraction of sequences that end in a loop (0 for an empty set).
double loop_rate(std::span<const std::vector<int32_t>> sequences, size_t min_repeats = 3);

// String tokens mapped to ids in order of first appearance, for the overloads below.
std::vector<int32_t> intern(std::span<const std::string> tokens);

struct RepetitionStats {
  double seq_rep[5] = {0, 0, 0, 0, 0};  // seq_rep[n] for n = 1..4
  double rep_w = 0;
  double rep_r = 0;
  double longest_repeat = 0;
  Loop loop;
};
RepetitionStats repetition_stats(std::span<const int32_t> tokens, int w = 16);
RepetitionStats repetition_stats(std::span<const std::string> tokens, int w = 16);

}  // namespace tb::metrics
