#pragma once
// Suffix array (prefix doubling with counting sorts, O(n log n)) and LCP array (Kasai et al.,
// O(n)) over token ids, for repetition metrics that must stay fast on a generation that loops
// for its whole budget. Standard library only.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace tb::metrics {

// Elementary steps done by the last calls, for tests that check growth without timing.
struct WorkCounter {
  size_t steps = 0;
};

// sa[r] = start of the r-th smallest suffix of `tokens`.
std::vector<size_t> suffix_array(std::span<const int32_t> tokens, WorkCounter* work = nullptr);
// lcp[r] = length of the common prefix of the suffixes sa[r - 1] and sa[r] (lcp[0] = 0).
std::vector<size_t> lcp_array(std::span<const int32_t> tokens, std::span<const size_t> sa,
                              WorkCounter* work = nullptr);
// The length of the longest run of tokens that occurs at least twice (occurrences may overlap).
size_t longest_repeat_length(std::span<const int32_t> tokens, WorkCounter* work = nullptr);

}  // namespace tb::metrics
