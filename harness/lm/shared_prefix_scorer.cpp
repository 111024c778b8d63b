#include "harness/lm/shared_prefix_scorer.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <string>

#include "harness/core/error.hpp"

namespace tb {

namespace {

// Logit rows a lane keeps for reuse are capped so that long whole-text requests over a large
// vocabulary cannot exhaust memory; past the cap a lane recomputes instead.
constexpr int64_t kStoredFloatsPerLane = int64_t{1} << 24;

size_t common_prefix(std::span<const int32_t> a, std::span<const int32_t> b) {
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

// log_softmax(row)[target] and whether target is the first argmax, in double precision.
std::pair<double, bool> log_prob_of(const float* row, int64_t vocab, int32_t target) {
  int64_t best = 0;
  for (int64_t v = 1; v < vocab; ++v) {
    if (row[v] > row[best]) best = v;
  }
  const double max = row[best];
  double sum = 0.0;
  for (int64_t v = 0; v < vocab; ++v) sum += std::exp(static_cast<double>(row[v]) - max);
  return {static_cast<double>(row[target]) - max - std::log(sum), best == target};
}

struct Lane {
  int slot = 0;
  std::vector<size_t> queue;  // request indices, in lexicographic order
  size_t next = 0;
  std::vector<int32_t> path;                   // the inputs currently in the slot
  std::map<int32_t, std::vector<float>> rows;  // position -> logits, valid below `path`'s end
  int64_t stored_floats = 0;
  // The step's plan for the request at `next`.
  int32_t feed_from = 0;
  size_t batch_offset = 0;
};

}  // namespace

SharedPrefixScorer::SharedPrefixScorer(Model& model, int window, int max_batch_tokens,
                                       bool share_prefixes)
    : model_(model),
      window_(window),
      max_batch_tokens_(max_batch_tokens),
      share_prefixes_(share_prefixes) {
  lanes_ = std::clamp(4 * max_batch_tokens_ / std::max(1, window_), 1, 16);
}

std::vector<TokenScores> SharedPrefixScorer::score(std::span<const ScoreRequest> requests) {
  const int64_t vocab = model_.config().vocab_size;
  for (const ScoreRequest& r : requests) {
    if (r.first_target < 1 || r.first_target > r.tokens.size() ||
        r.tokens.size() > static_cast<size_t>(window_) + 1) {
      throw Error(ErrorKind::Internal,
                  "score request of " + std::to_string(r.tokens.size()) + " tokens, first target " +
                      std::to_string(r.first_target) + ", window " + std::to_string(window_));
    }
    for (size_t t = r.first_target; t < r.tokens.size(); ++t) {
      if (r.tokens[t] < 0 || r.tokens[t] >= vocab) {
        throw Error(ErrorKind::BadInput, "token id " + std::to_string(r.tokens[t]) +
                                             " outside the model's vocabulary of " +
                                             std::to_string(vocab));
      }
    }
  }
  std::vector<TokenScores> results(requests.size());
  if (requests.empty()) return results;

  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return std::lexicographical_compare(requests[a].tokens.begin(), requests[a].tokens.end(),
                                        requests[b].tokens.begin(), requests[b].tokens.end());
  });

  // Split the sorted order into lanes of about equal work (tokens not shared with the
  // neighbour), cutting where the shared prefix is shortest so that few prefixes are repeated.
  std::vector<int64_t> cost(order.size());
  int64_t total_cost = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    const auto& tokens = requests[order[i]].tokens;
    const size_t shared =
        i == 0 || !share_prefixes_ ? 0 : common_prefix(requests[order[i - 1]].tokens, tokens);
    cost[i] = static_cast<int64_t>(tokens.size() - std::min(shared, tokens.size() - 1));
    total_cost += cost[i];
  }
  // A lane starts by computing its first request whole, so lanes pay off only when each has
  // several requests' worth of unshared work.
  int64_t total_length = 0;
  for (const ScoreRequest& r : requests) total_length += static_cast<int64_t>(r.tokens.size());
  const int64_t mean_length =
      std::max<int64_t>(1, total_length / static_cast<int64_t>(order.size()));
  const int lanes = static_cast<int>(
      std::clamp<int64_t>(total_cost / (4 * mean_length), 1,
                          std::min<int64_t>(lanes_, static_cast<int64_t>(order.size()))));
  std::vector<Lane> lane(static_cast<size_t>(lanes));
  {
    int64_t done = 0;
    size_t current = 0;
    for (size_t i = 0; i < order.size(); ++i) {
      const int64_t boundary = total_cost * static_cast<int64_t>(current + 1) / lanes;
      if (current + 1 < lane.size() && done >= boundary && !lane[current].queue.empty()) ++current;
      lane[current].queue.push_back(order[i]);
      done += cost[i];
    }
    for (size_t l = 0; l < lane.size(); ++l) lane[l].slot = static_cast<int>(l);
  }
  // The cache holds the lanes scheduled and the longest input, not every lane the window could
  // have; it only grows, so a run allocates (and the allocator zeroes) it a few times at most.
  int longest_input = 1;
  for (const ScoreRequest& r : requests) {
    longest_input = std::max(longest_input, static_cast<int>(r.tokens.size()) - 1);
  }
  if (!cache_ || cache_->num_slots() < lanes || cache_->capacity() < longest_input) {
    const int slots = std::max(lanes, cache_ ? cache_->num_slots() : 0);
    const int capacity = std::max(longest_input, cache_ ? cache_->capacity() : 0);
    cache_.reset();  // before the new one: never both at once
    cache_ = model_.make_cache(slots, capacity);
  }
  for (Lane& l : lane) cache_->set_length(l.slot, 0);

  // Resolves targets of `r` whose rows the lane holds; true when all of them were there.
  auto resolve = [&](const Lane& l, const ScoreRequest& r, TokenScores& out) {
    out.logprobs.clear();
    out.greedy.clear();
    for (size_t t = r.first_target; t < r.tokens.size(); ++t) {
      const auto row = l.rows.find(static_cast<int32_t>(t - 1));
      auto [logprob, greedy] = log_prob_of(row->second.data(), vocab, r.tokens[t]);
      out.logprobs.push_back(logprob);
      out.greedy.push_back(greedy);
    }
  };

  std::vector<float> logits;
  for (;;) {
    ForwardBatch batch;
    std::vector<Lane*> fed;
    for (Lane& l : lane) {
      while (l.next < l.queue.size()) {
        const size_t index = l.queue[l.next];
        const ScoreRequest& r = requests[index];
        const std::span<const int32_t> inputs(r.tokens.data(), r.tokens.size() - 1);
        const auto shared =
            share_prefixes_ ? static_cast<int32_t>(common_prefix(l.path, inputs)) : 0;
        // Feed from the first position that is not in the slot or whose needed row is missing.
        int32_t from = shared;
        for (size_t p = r.first_target - 1; p < inputs.size(); ++p) {
          const auto position = static_cast<int32_t>(p);
          if (position < shared && l.rows.count(position) == 0) {
            from = position;
            break;
          }
        }
        if (from >= static_cast<int32_t>(inputs.size())) {  // everything reused: no forward
          resolve(l, r, results[index]);
          ++stats_.requests;
          stats_.requested_tokens += static_cast<int64_t>(inputs.size());
          ++l.next;
          continue;
        }
        const auto feed = static_cast<int64_t>(inputs.size()) - from;
        if (!fed.empty() && static_cast<int64_t>(batch.tokens.size()) + feed > max_batch_tokens_) {
          break;  // the batch is full: this lane goes next step
        }
        l.feed_from = from;
        l.batch_offset = batch.tokens.size();
        cache_->set_length(l.slot, from);
        for (auto p = static_cast<size_t>(from); p < inputs.size(); ++p) {
          if (p + 1 >= r.first_target) {
            batch.logit_rows.push_back(static_cast<int32_t>(batch.tokens.size()));
          }
          batch.tokens.push_back(inputs[p]);
          batch.positions.push_back(static_cast<int32_t>(p));
          batch.slots.push_back(l.slot);
        }
        fed.push_back(&l);
        break;
      }
    }
    if (fed.empty()) break;
    model_.forward(batch, *cache_, logits);
    ++stats_.forward_calls;
    stats_.computed_tokens += static_cast<int64_t>(batch.tokens.size());

    size_t row = 0;
    for (Lane* l : fed) {
      const size_t index = l->queue[l->next];
      const ScoreRequest& r = requests[index];
      const size_t inputs = r.tokens.size() - 1;
      // Rows at or above the fed position are stale; keep the ones below it.
      l->rows.erase(l->rows.lower_bound(l->feed_from), l->rows.end());
      l->stored_floats = static_cast<int64_t>(l->rows.size()) * vocab;
      for (auto p = static_cast<size_t>(l->feed_from); p < inputs; ++p) {
        if (p + 1 < r.first_target) continue;
        const float* data = logits.data() + static_cast<int64_t>(row++) * vocab;
        l->rows[static_cast<int32_t>(p)].assign(data, data + vocab);
        l->stored_floats += vocab;
      }
      resolve(*l, r, results[index]);
      if (l->stored_floats > kStoredFloatsPerLane) {
        l->rows.clear();
        l->stored_floats = 0;
      }
      l->path.assign(r.tokens.begin(), r.tokens.end() - 1);
      ++stats_.requests;
      stats_.requested_tokens += static_cast<int64_t>(inputs);
      ++l->next;
    }
  }
  return results;
}

}  // namespace tb
