#include "metrics/suffix_array.hpp"

#include <algorithm>

namespace tb::metrics {
namespace {

void count_steps(WorkCounter* work, size_t steps) {
  if (work != nullptr) work->steps += steps;
}

// Stable counting sort of `order` by key(i) in [0, buckets).
template <class Key>
void counting_sort(std::vector<size_t>& order, size_t buckets, Key key,
                   std::vector<size_t>& scratch) {
  std::vector<size_t> start(buckets + 1, 0);
  for (const size_t i : order) ++start[key(i) + 1];
  for (size_t b = 0; b < buckets; ++b) start[b + 1] += start[b];
  scratch.resize(order.size());
  for (const size_t i : order) scratch[start[key(i)]++] = i;
  order.swap(scratch);
}

}  // namespace

std::vector<size_t> suffix_array(std::span<const int32_t> tokens, WorkCounter* work) {
  const size_t n = tokens.size();
  std::vector<size_t> sa(n);
  if (n == 0) return sa;
  // Dense ranks of the token values: one O(n log n) sort.
  for (size_t i = 0; i < n; ++i) sa[i] = i;
  std::sort(sa.begin(), sa.end(), [&](size_t a, size_t b) { return tokens[a] < tokens[b]; });
  std::vector<size_t> rank(n), next(n), scratch;
  rank[sa[0]] = 0;
  for (size_t r = 1; r < n; ++r) {
    rank[sa[r]] = rank[sa[r - 1]] + (tokens[sa[r]] != tokens[sa[r - 1]] ? 1 : 0);
  }
  count_steps(work, n);
  // Each round sorts by (rank[i], rank[i + k]) with two counting sorts, so it is O(n); the
  // ranks of 2k-prefixes follow. After at most log2(n) rounds every rank is distinct.
  for (size_t k = 1; rank[sa[n - 1]] + 1 < n; k *= 2) {
    // Ranks shifted by one so that 0 means "past the end" (the smallest).
    auto second = [&](size_t i) { return i + k < n ? rank[i + k] + 1 : 0; };
    auto first = [&](size_t i) { return rank[i]; };
    counting_sort(sa, n + 1, second, scratch);
    counting_sort(sa, n, first, scratch);
    next[sa[0]] = 0;
    for (size_t r = 1; r < n; ++r) {
      const bool same = first(sa[r]) == first(sa[r - 1]) && second(sa[r]) == second(sa[r - 1]);
      next[sa[r]] = next[sa[r - 1]] + (same ? 0 : 1);
    }
    rank.swap(next);
    count_steps(work, n);
  }
  return sa;
}

std::vector<size_t> lcp_array(std::span<const int32_t> tokens, std::span<const size_t> sa,
                              WorkCounter* work) {
  const size_t n = tokens.size();
  std::vector<size_t> lcp(n, 0), rank(n);
  for (size_t r = 0; r < n; ++r) rank[sa[r]] = r;
  // Kasai: the common prefix shrinks by at most one from suffix i to suffix i + 1, so the
  // comparisons total at most 2n.
  size_t h = 0;
  for (size_t i = 0; i < n; ++i) {
    if (rank[i] == 0) {
      h = 0;
      continue;
    }
    const size_t j = sa[rank[i] - 1];
    while (i + h < n && j + h < n && tokens[i + h] == tokens[j + h]) {
      ++h;
      count_steps(work, 1);
    }
    lcp[rank[i]] = h;
    count_steps(work, 1);
    if (h > 0) --h;
  }
  return lcp;
}

size_t longest_repeat_length(std::span<const int32_t> tokens, WorkCounter* work) {
  if (tokens.size() < 2) return 0;
  const std::vector<size_t> sa = suffix_array(tokens, work);
  const std::vector<size_t> lcp = lcp_array(tokens, sa, work);
  return *std::max_element(lcp.begin(), lcp.end());
}

}  // namespace tb::metrics
