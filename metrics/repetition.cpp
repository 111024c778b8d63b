#include "metrics/repetition.hpp"

#include "metrics/suffix_array.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace tb::metrics {

double seq_rep_n(std::span<const int32_t> tokens, int n) {
  if (n < 1 || tokens.size() < static_cast<size_t>(n)) return 0.0;
  const size_t count = tokens.size() - static_cast<size_t>(n) + 1;
  std::set<std::vector<int32_t>> unique;
  for (size_t i = 0; i < count; ++i) {
    unique.emplace(tokens.begin() + static_cast<std::ptrdiff_t>(i),
                   tokens.begin() + static_cast<std::ptrdiff_t>(i) + n);
  }
  return 1.0 - static_cast<double>(unique.size()) / static_cast<double>(count);
}

double rep_w(std::span<const int32_t> tokens, int w) {
  if (tokens.empty() || w < 1) return 0.0;
  // Counts of each token in the window of the previous w tokens.
  std::unordered_map<int32_t, int> window;
  size_t repeated = 0;
  const size_t width = static_cast<size_t>(w);
  for (size_t t = 0; t < tokens.size(); ++t) {
    if (auto it = window.find(tokens[t]); it != window.end() && it->second > 0) ++repeated;
    ++window[tokens[t]];
    if (t >= width) --window[tokens[t - width]];
  }
  return static_cast<double>(repeated) / static_cast<double>(tokens.size());
}

double rep_r(std::span<const int32_t> tokens) {
  const size_t n = tokens.size();
  if (n < 2) return 0.0;
  std::map<std::pair<int32_t, int32_t>, int> pairs;
  for (size_t i = 0; i + 1 < n; ++i) ++pairs[{tokens[i], tokens[i + 1]}];
  std::vector<bool> covered(n, false);
  for (size_t i = 0; i + 1 < n; ++i) {
    if (pairs[{tokens[i], tokens[i + 1]}] >= 2) covered[i] = covered[i + 1] = true;
  }
  return static_cast<double>(std::count(covered.begin(), covered.end(), true)) /
         static_cast<double>(n);
}

double longest_repeated_substring_ratio(std::span<const int32_t> tokens, WorkCounter* work) {
  if (tokens.size() < 2) return 0.0;
  // The longest repeat is the largest LCP of adjacent suffixes in suffix order: O(n log n),
  // where the dynamic programme it replaces was quadratic (an 80 kB tune took 1.5 s).
  return static_cast<double>(longest_repeat_length(tokens, work)) /
         static_cast<double>(tokens.size());
}

double bar_repetition_rate(std::span<const std::string> bars) {
  if (bars.empty()) return 0.0;
  const std::unordered_set<std::string> unique(bars.begin(), bars.end());
  return 1.0 - static_cast<double>(unique.size()) / static_cast<double>(bars.size());
}

Loop detect_loop(std::span<const int32_t> tokens, size_t min_repeats, WorkCounter* work) {
  Loop best;
  const size_t n = tokens.size();
  if (min_repeats < 1) min_repeats = 1;
  if (n == 0) return best;
  // The periodic tail of cycle p ends the sequence where tokens[i] == tokens[i + p]: reading
  // the sequence backwards, that is the Z-function, z[p] = the common prefix of the reversed
  // sequence and its shift by p. The tail is p + z[p] tokens long. O(n) for all p, where
  // walking back from the end for each p was quadratic on one repeated token.
  std::vector<int32_t> reversed(tokens.rbegin(), tokens.rend());
  std::vector<size_t> z(n, 0);
  size_t left = 0, right = 0;  // [left, right): the rightmost match window found so far
  for (size_t i = 1; i < n; ++i) {
    if (i < right) z[i] = std::min(right - i, z[i - left]);
    while (i + z[i] < n && reversed[z[i]] == reversed[i + z[i]]) {
      ++z[i];
      if (work != nullptr) ++work->steps;
    }
    if (work != nullptr) ++work->steps;
    if (i + z[i] > right) {
      left = i;
      right = i + z[i];
    }
  }
  size_t best_len = 0;
  for (size_t p = 1; p * min_repeats <= n; ++p) {
    const size_t len = p + z[p % n];
    if (len / p >= min_repeats && len > best_len) {
      best_len = len;
      best = {true, p, n - len, len / p};
    }
  }
  return best;
}

double loop_rate(std::span<const std::vector<int32_t>> sequences, size_t min_repeats) {
  if (sequences.empty()) return 0.0;
  size_t loops = 0;
  for (const auto& s : sequences) loops += detect_loop(s, min_repeats).found ? 1 : 0;
  return static_cast<double>(loops) / static_cast<double>(sequences.size());
}

std::vector<int32_t> intern(std::span<const std::string> tokens) {
  std::unordered_map<std::string, int32_t> ids;
  std::vector<int32_t> out;
  out.reserve(tokens.size());
  for (const auto& t : tokens) {
    auto [it, inserted] = ids.emplace(t, static_cast<int32_t>(ids.size()));
    out.push_back(it->second);
  }
  return out;
}

RepetitionStats repetition_stats(std::span<const int32_t> tokens, int w) {
  RepetitionStats s;
  for (int n = 1; n <= 4; ++n) s.seq_rep[n] = seq_rep_n(tokens, n);
  s.rep_w = rep_w(tokens, w);
  s.rep_r = rep_r(tokens);
  s.longest_repeat = longest_repeated_substring_ratio(tokens);
  s.loop = detect_loop(tokens);
  return s;
}

RepetitionStats repetition_stats(std::span<const std::string> tokens, int w) {
  const std::vector<int32_t> ids = intern(tokens);
  return repetition_stats(std::span<const int32_t>(ids), w);
}

}  // namespace tb::metrics
