#include "harness/lm/language_model.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "harness/core/error.hpp"

namespace tb {

namespace {

// Token-level longest common prefix.
size_t common_prefix(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  size_t n = 0;
  while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
  return n;
}

}  // namespace

LanguageModel::LanguageModel(std::unique_ptr<Model> model, std::unique_ptr<Tokenizer> tokenizer,
                             LanguageModelOptions options)
    : model_(std::move(model)), tokenizer_(std::move(tokenizer)), options_(options) {
  const int64_t max_positions = model_->config().max_positions;
  window_ = options_.context_window > 0
                ? options_.context_window
                : static_cast<int>(std::min<int64_t>(max_positions, 1 << 20));
  if (window_ < 2 || (max_positions > 0 && window_ > max_positions)) {
    throw Error(ErrorKind::BadInput, "context window " + std::to_string(window_) +
                                         " must be between 2 and the model's max positions (" +
                                         std::to_string(max_positions) + ")");
  }
  if (options_.rolling_stride < 0 || options_.rolling_stride > window_) {
    throw Error(ErrorKind::BadInput, "rolling stride " + std::to_string(options_.rolling_stride) +
                                         " must be between 1 and the context window (" +
                                         std::to_string(window_) + ")");
  }
  if (options_.max_batch_tokens < 1) {
    throw Error(ErrorKind::BadInput, "max batch tokens must be positive");
  }
  scorer_ = std::make_unique<SharedPrefixScorer>(*model_, window_, options_.max_batch_tokens,
                                                 options_.share_prefixes);
  generator_ = std::make_unique<Generator>(*model_, *tokenizer_, window_, options_.max_batch_tokens,
                                           options_.generation_batch);
}

std::vector<GenerationResult> LanguageModel::generate(std::span<const GenerationRequest> requests) {
  const SpecialTokens& specials = tokenizer_->specials();
  return generator_->generate(requests, prefix_token(),
                              specials.eos >= 0 ? specials.eos : specials.bos);
}

int32_t LanguageModel::prefix_token() const {
  const SpecialTokens& s = tokenizer_->specials();
  return s.add_bos ? s.bos : -1;
}

std::vector<TokenScores> LanguageModel::score_tokens(std::span<const ScoreRequest> requests) {
  return scorer_->score(requests);
}

std::vector<LoglikelihoodResult> LanguageModel::loglikelihood(
    std::span<const LoglikelihoodRequest> requests) {
  const SpecialTokens& specials = tokenizer_->specials();
  // Without BOS, an empty context is conditioned on EOS, as lm-eval does with GPT-2's EOT.
  const int32_t fallback = specials.eos >= 0 ? specials.eos : specials.bos;
  std::vector<ScoreRequest> scored(requests.size());
  std::vector<LoglikelihoodResult> results(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    std::string context = requests[i].context;
    std::string continuation = requests[i].continuation;
    const size_t kept = context.find_last_not_of(' ');
    const size_t spaces = kept == std::string::npos ? context.size() : context.size() - kept - 1;
    if (spaces > 0) {
      continuation = context.substr(context.size() - spaces) + continuation;
      context.resize(context.size() - spaces);
    }
    std::vector<int32_t> whole = tokenizer_->encode(context + continuation);
    std::vector<int32_t> context_tokens = tokenizer_->encode(context);
    int32_t prefix = prefix_token();
    if (prefix < 0 && context_tokens.empty()) prefix = fallback;
    if (prefix >= 0) {
      whole.insert(whole.begin(), prefix);
      context_tokens.insert(context_tokens.begin(), prefix);
    }
    // A token that spans the boundary belongs to the continuation: split where the joint and
    // the context-alone tokenizations stop agreeing.
    size_t split = std::min(common_prefix(whole, context_tokens), context_tokens.size());
    results[i].straddled = split < context_tokens.size();
    if (split == 0) {
      throw Error(ErrorKind::BadInput,
                  "request " + std::to_string(i) +
                      ": nothing to condition the first token on (no BOS or EOS token)");
    }
    if (split == whole.size()) {
      throw Error(ErrorKind::BadInput,
                  "request " + std::to_string(i) + ": the continuation has no tokens");
    }
    // Too long for the window: keep the last window + 1 tokens, as lm-eval does.
    const size_t limit = static_cast<size_t>(window_) + 1;
    if (whole.size() > limit) {
      const size_t drop = whole.size() - limit;
      if (split <= drop) {
        throw Error(ErrorKind::BadInput,
                    "request " + std::to_string(i) +
                        ": the continuation is longer than the context window");
      }
      whole.erase(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(drop));
      split -= drop;
    }
    scored[i].tokens = std::move(whole);
    scored[i].first_target = split;
  }
  const std::vector<TokenScores> scores = score_tokens(scored);
  for (size_t i = 0; i < requests.size(); ++i) {
    LoglikelihoodResult& r = results[i];
    r.num_tokens = static_cast<int>(scores[i].logprobs.size());
    r.logprob = std::accumulate(scores[i].logprobs.begin(), scores[i].logprobs.end(), 0.0);
    r.greedy =
        std::all_of(scores[i].greedy.begin(), scores[i].greedy.end(), [](bool g) { return g; });
  }
  return results;
}

std::vector<RollingResult> LanguageModel::loglikelihood_rolling(
    std::span<const std::string> texts) {
  const SpecialTokens& specials = tokenizer_->specials();
  int32_t prefix = prefix_token();
  if (prefix < 0) prefix = specials.eos >= 0 ? specials.eos : specials.bos;
  const size_t chunk = static_cast<size_t>(window_) + 1;  // inputs + the last target
  const size_t stride = options_.rolling_stride > 0 ? static_cast<size_t>(options_.rolling_stride)
                                                    : static_cast<size_t>(window_);
  std::vector<ScoreRequest> windows;
  std::vector<size_t> owner;
  std::vector<RollingResult> results(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    results[i].num_bytes = static_cast<int64_t>(texts[i].size());
    std::vector<int32_t> tokens;
    if (prefix >= 0) tokens.push_back(prefix);
    const std::vector<int32_t> body = tokenizer_->encode(texts[i]);
    tokens.insert(tokens.end(), body.begin(), body.end());
    if (options_.score_eos) {
      if (specials.eos < 0)
        throw Error(ErrorKind::BadInput, "--eos: the tokenizer has no EOS token");
      tokens.push_back(specials.eos);
    }
    // Window k holds tokens [end - chunk, end) with end = chunk + k * stride and scores the
    // targets no earlier window scored: every target exactly once.
    size_t scored_until = 1;
    while (scored_until < tokens.size()) {
      const size_t end = std::min(tokens.size(), std::max(chunk, scored_until + stride));
      const size_t begin = end > chunk ? end - chunk : 0;
      ScoreRequest w;
      w.tokens.assign(tokens.begin() + static_cast<std::ptrdiff_t>(begin),
                      tokens.begin() + static_cast<std::ptrdiff_t>(end));
      w.first_target = scored_until - begin;
      windows.push_back(std::move(w));
      owner.push_back(i);
      scored_until = end;
    }
  }
  const std::vector<TokenScores> scores = score_tokens(windows);
  for (size_t w = 0; w < windows.size(); ++w) {
    RollingResult& r = results[owner[w]];
    r.num_tokens += static_cast<int64_t>(scores[w].logprobs.size());
    r.logprob = std::accumulate(scores[w].logprobs.begin(), scores[w].logprobs.end(), r.logprob);
  }
  return results;
}

}  // namespace tb
