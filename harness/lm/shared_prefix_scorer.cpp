#include "harness/lm/shared_prefix_scorer.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <string>

#include "harness/backend/backend.hpp"
#include "harness/core/error.hpp"

namespace tb {

namespace {

size_t common_prefix(std::span<const int32_t> a, std::span<const int32_t> b) {
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

// What a lane keeps of one position's logits: the first argmax, the log-normaliser and the
// logits of the targets this or a later request of the lane asks for there. The backend computes
// these on its device (Backend::score_rows); the full row never leaves it.
struct RowScore {
  int32_t argmax = 0;
  float logsumexp = 0.0f;
  std::vector<std::pair<int32_t, float>> targets;  // (token, logit), sorted by token
  const float* logit_of(int32_t token) const {
    const auto it = std::lower_bound(targets.begin(), targets.end(), std::pair{token, -INFINITY});
    return it != targets.end() && it->first == token ? &it->second : nullptr;
  }
};

struct Lane {
  int slot = 0;
  std::vector<size_t> queue;  // request indices, in lexicographic order
  size_t next = 0;
  std::vector<int32_t> path;         // the inputs currently in the slot
  std::map<int32_t, RowScore> rows;  // position -> scores, valid below `path`'s end
  // The step's plan for the request at `next`.
  int32_t feed_from = 0;
  size_t batch_offset = 0;
};

}  // namespace

// NaN or infinite logits mean the weights or the config (rope_theta, norm eps) are broken; a
// perplexity of nan must never be stored.
void check_finite(const std::vector<float>& logsumexp, const ModelConfig& config) {
  for (float v : logsumexp) {
    if (!std::isfinite(v)) {
      throw Error(ErrorKind::BadInput,
                  (config.source.empty() ? std::string("model") : config.source) +
                      ": the forward pass gave non-finite logits: the checkpoint's weights hold "
                      "NaN or infinity, or a value here (rope_theta, the norm epsilon) is out of "
                      "range");
    }
  }
}

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
      const RowScore& row = l.rows.at(static_cast<int32_t>(t - 1));
      const float* logit = row.logit_of(r.tokens[t]);
      if (!logit) throw Error(ErrorKind::Internal, "scorer: a target's logit was not gathered");
      out.logprobs.push_back(double{*logit} - double{row.logsumexp});
      out.greedy.push_back(row.argmax == r.tokens[t]);
    }
  };
  auto has_target = [](const Lane& l, int32_t position, int32_t token) {
    const auto it = l.rows.find(position);
    return it != l.rows.end() && it->second.logit_of(token) != nullptr;
  };
  // Targets at positions [from, r's inputs) that this request and the later ones of its lane
  // that share those positions will ask for. The queue is sorted, so the prefix a later request
  // shares with r only shrinks: stop at the first that shares nothing new.
  auto wanted_targets = [&](const Lane& l, const ScoreRequest& r, int32_t from) {
    const auto inputs = static_cast<int32_t>(r.tokens.size() - 1);
    std::vector<std::vector<int32_t>> targets(static_cast<size_t>(inputs - from));
    auto add = [&](const ScoreRequest& q, int32_t shared) {
      const int32_t first = std::max({from, static_cast<int32_t>(q.first_target) - 1,
                                      static_cast<int32_t>(r.first_target) - 1});
      for (int32_t p = first; p < shared; ++p)
        targets[static_cast<size_t>(p - from)].push_back(q.tokens[p + 1]);
    };
    add(r, inputs);
    for (size_t j = l.next + 1; share_prefixes_ && j < l.queue.size(); ++j) {
      const ScoreRequest& q = requests[l.queue[j]];
      const std::span<const int32_t> q_inputs(q.tokens.data(), q.tokens.size() - 1);
      const auto shared = static_cast<int32_t>(
          common_prefix(std::span<const int32_t>(r.tokens.data(), r.tokens.size() - 1), q_inputs));
      if (shared <= from) break;
      add(q, shared);
    }
    for (auto& t : targets) {
      std::sort(t.begin(), t.end());
      t.erase(std::unique(t.begin(), t.end()), t.end());
    }
    return targets;
  };

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
          if (position < shared && !has_target(l, position, r.tokens[p + 1])) {
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
    const Tensor& logits = model_.forward_logits(batch, *cache_);
    ++stats_.forward_calls;
    stats_.computed_tokens += static_cast<int64_t>(batch.tokens.size());

    // Every (row, target) pair this step's rows are wanted for, scored on the device at once.
    std::vector<int32_t> pairs;
    std::vector<std::vector<std::vector<int32_t>>> lane_targets;
    int32_t row = 0;
    for (Lane* l : fed) {
      const ScoreRequest& r = requests[l->queue[l->next]];
      lane_targets.push_back(wanted_targets(*l, r, l->feed_from));
      const auto inputs = static_cast<int32_t>(r.tokens.size() - 1);
      for (int32_t p = l->feed_from; p < inputs; ++p) {
        if (p + 1 < static_cast<int32_t>(r.first_target)) continue;
        for (int32_t token : lane_targets.back()[static_cast<size_t>(p - l->feed_from)]) {
          pairs.push_back(row);
          pairs.push_back(token);
        }
        ++row;
      }
    }
    const RowScores scores = model_.backend().score_rows(logits, pairs);
    check_finite(scores.logsumexp, model_.config());

    row = 0;
    size_t pair = 0;
    for (size_t f = 0; f < fed.size(); ++f) {
      Lane* l = fed[f];
      const size_t index = l->queue[l->next];
      const ScoreRequest& r = requests[index];
      const size_t inputs = r.tokens.size() - 1;
      // Rows at or above the fed position are stale; keep the ones below it.
      l->rows.erase(l->rows.lower_bound(l->feed_from), l->rows.end());
      for (auto p = static_cast<size_t>(l->feed_from); p < inputs; ++p) {
        if (p + 1 < r.first_target) continue;
        RowScore& kept = l->rows[static_cast<int32_t>(p)];
        kept.argmax = scores.argmax[static_cast<size_t>(row)];
        kept.logsumexp = scores.logsumexp[static_cast<size_t>(row)];
        for (int32_t token : lane_targets[f][p - static_cast<size_t>(l->feed_from)]) {
          kept.targets.emplace_back(token, scores.values[pair++]);
        }
        ++row;
      }
      resolve(*l, r, results[index]);
      l->path.assign(r.tokens.begin(), r.tokens.end() - 1);
      ++stats_.requests;
      stats_.requested_tokens += static_cast<int64_t>(inputs);
      ++l->next;
    }
  }
  return results;
}

}  // namespace tb
