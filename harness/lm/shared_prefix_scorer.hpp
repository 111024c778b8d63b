#pragma once
// Scores token sequences with every shared prefix computed once. Requests are sorted
// lexicographically, so neighbours share the longest prefixes, and split into lanes, one KV-cache
// slot each; a lane keeps the tokens of its last request in its slot and feeds only what differs,
// reusing the logits it already has for rows inside the shared part. Four options of a question
// that share everything but the last token cost one pass; the questions of an MMLU subject share
// their few-shot block. Lanes advance together, one batched forward call per step.
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "harness/model/model.hpp"

namespace tb {

struct ScoreRequest {
  std::vector<int32_t> tokens;
  size_t first_target = 1;  // score tokens[first_target..] given what precedes them
};

struct TokenScores {
  std::vector<double> logprobs;
  std::vector<bool> greedy;
};

struct ScoringStats {
  int64_t requested_tokens = 0;  // input tokens a harness without sharing would compute
  int64_t computed_tokens = 0;   // input tokens actually run through the model
  int64_t forward_calls = 0;
  int64_t requests = 0;
};

// Throws BadInput when a row's log-normaliser is NaN or infinite (broken weights or config),
// naming the model's config.json.
void check_finite(const std::vector<float>& logsumexp, const ModelConfig& config);

class SharedPrefixScorer {
 public:
  // `window`: longest input; `max_batch_tokens`: tokens per forward call (at least one lane's).
  // Without `share_prefixes` every request is computed whole (independent full-sequence
  // scoring: the reference the shared path is tested against, and a no-sharing baseline).
  SharedPrefixScorer(Model& model, int window, int max_batch_tokens, bool share_prefixes = true);

  std::vector<TokenScores> score(std::span<const ScoreRequest> requests);
  const ScoringStats& stats() const { return stats_; }
  // The KV cache kept between calls (null before the first): sized to the lanes and the longest
  // input scheduled so far, not to the window.
  const KvCache* cache() const { return cache_.get(); }

 private:
  Model& model_;
  int window_;
  int max_batch_tokens_;
  int lanes_;
  bool share_prefixes_;
  std::unique_ptr<KvCache> cache_;
  ScoringStats stats_;
};

}  // namespace tb
