#pragma once
// Next-token selection from one row of logits, with the Hugging Face logits processors in their
// order: repetition penalty, temperature, top-k, top-p, then renormalisation. Everything after
// the model's f32 logits is computed in double, so that the ~1e-6 differences a forward pass
// shows between batch sizes move a probability by ~1e-6 and almost never the sampled token.
//
// Randomness is counter-based: the uniform draw of step t of a request is a hash of (seed, t)
// (SplitMix64 finaliser), so a request's tokens depend on its own seed and logits only, never on
// which other requests share its batch or in which order they finish.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace tb {

struct SamplingParams {
  double temperature = 1.0;         // 0: greedy (argmax after the repetition penalty)
  int top_k = 0;                    // 0: off; ties with the k-th largest logit are kept (HF)
  double top_p = 1.0;               // 1: off; keep the most probable tokens whose mass reaches p
  double repetition_penalty = 1.0;  // 1: off; CTRL/HF: a seen token's logit l becomes l / penalty
                                    // when l > 0, else l * penalty
  int max_new_tokens = 256;
  std::vector<std::string> stop;  // generation ends once the completion contains one (cut before)
  bool stop_at_eos = true;
  bool token_healing = false;  // back off the prompt's last token (token_healing.hpp)
  uint64_t seed = 0;
};

// Throws tb::Error (BadInput) naming the parameter that is out of range.
void check_sampling_params(const SamplingParams& params);

// The distribution the next token is drawn from, over the whole vocabulary (zeros for filtered
// tokens). `history`: every token of the sequence so far (prompt and generated; duplicates are
// fine), for the repetition penalty. Temperature 0 gives a one-hot vector at the argmax (lowest
// id on ties).
std::vector<double> sampling_distribution(std::span<const float> logits,
                                          std::span<const int32_t> history,
                                          const SamplingParams& params);

// The uniform number in [0, 1) for step `step` of the request seeded `seed` (53 random bits).
double uniform_draw(uint64_t seed, uint64_t step);

// Inverse-CDF sampling in token-id order: the first token whose cumulative probability exceeds
// u * total. Only tokens with probability > 0 can be chosen.
int32_t draw_token(std::span<const double> probs, double u);

// The whole step: distribution, then a draw (or the argmax when temperature is 0).
int32_t select_token(std::span<const float> logits, std::span<const int32_t> history,
                     const SamplingParams& params, uint64_t step);

}  // namespace tb
