#pragma once
// LanguageModel: the only API suites see. Text in, log-probabilities out; free to sort, batch
// and share work; suites never see tensors.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "harness/lm/generator.hpp"
#include "harness/lm/shared_prefix_scorer.hpp"
#include "harness/model/model.hpp"
#include "harness/tokenizer/tokenizer.hpp"

namespace tb {

struct LoglikelihoodRequest {
  std::string context;
  std::string continuation;
};

struct LoglikelihoodResult {
  double logprob = 0.0;    // sum over the continuation's tokens
  bool greedy = true;      // every continuation token is the argmax
  int num_tokens = 0;      // continuation tokens scored
  bool straddled = false;  // a token spanned the context/continuation boundary
};

struct RollingResult {
  double logprob = 0.0;    // sum over every token of the text (and EOS when asked)
  int64_t num_tokens = 0;  // tokens scored
  int64_t num_bytes = 0;   // UTF-8 bytes of the text
};

struct LanguageModelOptions {
  int max_batch_tokens = 2048;  // tokens per forward call
  int context_window = 0;       // 0: the model's max_positions
  // Rolling windows advance by `stride` tokens (1..context_window); 0 means context_window,
  // which is lm-eval's loglikelihood_rolling: disjoint windows, each conditioned on the last
  // token of the previous one. Smaller strides give every window more context.
  int rolling_stride = 0;
  bool score_eos = false;  // rolling: also score an EOS after each text
  // Compute shared prefixes once (the default); off, every request is scored whole.
  bool share_prefixes = true;
  // Sequences that decode together in generate() (one KV-cache slot each).
  int generation_batch = 16;
};

class LanguageModel {
 public:
  LanguageModel(std::unique_ptr<Model> model, std::unique_ptr<Tokenizer> tokenizer,
                LanguageModelOptions options = {});

  const Tokenizer& tokenizer() const { return *tokenizer_; }
  Model& model() { return *model_; }
  const LanguageModelOptions& options() const { return options_; }
  int context_window() const { return window_; }

  // lm-eval semantics: trailing spaces of the context move to the continuation; the pair is
  // tokenized together and split where the context's own tokens end; BOS per the tokenizer.
  std::vector<LoglikelihoodResult> loglikelihood(std::span<const LoglikelihoodRequest> requests);

  // Corpus log-likelihood of whole texts longer than the window: strided windows, every token
  // scored exactly once.
  std::vector<RollingResult> loglikelihood_rolling(std::span<const std::string> texts);

  // Low level: scores tokens[first_target..] of each request given what precedes them, sharing
  // every common prefix. The last token is only a target, so a request may hold window + 1.
  std::vector<TokenScores> score_tokens(std::span<const ScoreRequest> requests);
  // Tokens requested versus computed since construction: the prefix-sharing hit rate.
  const ScoringStats& stats() const { return scorer_->stats(); }

  // Sampled or greedy continuations of prompts (BOS per the tokenizer), batched across
  // requests; each request's text depends only on its prompt, parameters and seed.
  std::vector<GenerationResult> generate(std::span<const GenerationRequest> requests);
  const GenerationStats& generation_stats() const { return generator_->stats(); }

  // The token that starts every sequence (BOS when the tokenizer adds one), or -1.
  int32_t prefix_token() const;

 private:
  std::unique_ptr<Model> model_;
  std::unique_ptr<Tokenizer> tokenizer_;
  LanguageModelOptions options_;
  int window_ = 0;
  std::unique_ptr<SharedPrefixScorer> scorer_;
  std::unique_ptr<Generator> generator_;
};

}  // namespace tb
