#pragma once
// Batched text generation. Up to `max_sequences` requests decode together, one KV-cache slot
// each, with one forward call per step over every live sequence: a sequence still prefilling
// feeds a chunk of its prompt, a decoding one feeds its last token. A finished sequence frees
// its slot and the next waiting request takes it in the following step. Requests are admitted
// in the order given.
//
// A request's tokens depend only on its own prompt, parameters and seed (sampler.hpp draws are
// counter-based, per request): the same whatever the batch size and whatever shares the batch,
// up to the forward pass's own batch invariance (~1e-6 in the logits).
//
// With `token_healing` a prompt is fed without its last token and the first token is drawn
// among the pieces that restore it (token_healing.hpp); the completion is still the text after
// the whole prompt, and `prompt_tokens` counts what was fed.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "harness/lm/sampler.hpp"
#include "harness/lm/token_healing.hpp"
#include "harness/model/model.hpp"
#include "harness/tokenizer/tokenizer.hpp"

namespace tb {

struct GenerationRequest {
  std::string prompt;
  SamplingParams params;
};

enum class FinishReason { Eos, Stop, Length };
const char* to_string(FinishReason reason);

struct GenerationResult {
  std::string text;              // the completion (prompt excluded), cut before a stop string
  std::vector<int32_t> tokens;   // generated ids whose text lies within `text` (no EOS)
  int64_t generated_tokens = 0;  // every token sampled, including EOS and any past a stop
  int64_t prompt_tokens = 0;     // as fed (BOS included, after any left truncation)
  FinishReason finish = FinishReason::Length;
  std::vector<double> logprobs;  // the model's log-probability (no processors) of each of `tokens`
};

struct GenerationStats {
  int64_t prompt_tokens = 0;     // prefill tokens run through the model
  int64_t generated_tokens = 0;  // decode tokens sampled
  int64_t forward_calls = 0;
  int64_t requests = 0;
  double seconds = 0.0;
};

class Generator {
 public:
  // `window`: longest sequence (prompt + completion) a slot holds; `max_batch_tokens`: tokens
  // per forward call (prefill chunks share it with the decoding sequences); `max_sequences`:
  // sequences decoding together.
  Generator(Model& model, const Tokenizer& tokenizer, int window, int max_batch_tokens,
            int max_sequences);

  // `prefix_token`: the token that starts every sequence (BOS), -1 for none; an empty prompt
  // without one starts from `fallback_token` (EOS), as lm-eval does with GPT-2.
  std::vector<GenerationResult> generate(std::span<const GenerationRequest> requests,
                                         int32_t prefix_token, int32_t fallback_token);
  const GenerationStats& stats() const { return stats_; }

 private:
  Model& model_;
  const Tokenizer& tokenizer_;
  int window_;
  int max_batch_tokens_;
  int max_sequences_;
  std::unique_ptr<KvCache> cache_;
  TokenHealer healer_;
  GenerationStats stats_;
};

}  // namespace tb
