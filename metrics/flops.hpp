#pragma once
// Parameter counts, forward FLOPs and bytes moved per token for LLaMA (GQA, SwiGLU) and GPT-2
// decoder stacks: the arithmetic behind tokens/s -> TFLOP/s, MFU and MBU.
//
// Conventions (stated once, used everywhere):
// - A multiply-add is 2 FLOPs. Only matrix products are counted: the linear layers (the output
//   head included, tied or not) and attention's QK^T and PV. Norms, RoPE, activations, softmax
//   and the embedding gather are left out (under 1% at these shapes), as in PaLM's MFU.
// - Attention is causal: a token at position p (0-based) attends to p + 1 positions, so each
//   layer costs 4 * heads * head_dim * (p + 1) FLOPs for it (2 for QK^T, 2 for PV).
// - Prefill of s tokens after c cached ones: every token's logits are computed (scoring needs
//   them), so the head is counted s times unless `logit_rows` says fewer.
// - The training figure is PaLM's (Chowdhery et al. 2022, appendix B) / Megatron's per-token
//   6 N + 12 L H Q T, with N the matrix-product parameters and T the sequence length: forward and
//   backward, attention counted non-causally. It is given for comparison with published MFU.
#include <cstdint>

namespace tb::flops {

enum class Family { Llama, Gpt2 };

struct ModelShape {
  Family family = Family::Llama;
  int64_t vocab = 0;
  int64_t hidden = 0;
  int64_t layers = 0;
  int64_t heads = 0;
  int64_t kv_heads = 0;  // GPT-2: heads
  int64_t head_dim = 0;
  int64_t intermediate = 0;
  int64_t positions = 0;  // GPT-2's learned position table; unused for LLaMA
  bool tied_embeddings = false;
};

struct ParameterCounts {
  int64_t embedding = 0;  // token (and GPT-2 position) tables
  int64_t matmul = 0;     // weights of matrix products per token, the output head included
  int64_t other = 0;      // norms and biases
  int64_t total = 0;      // as a checkpoint stores them (a tied head counted once)
};

ParameterCounts parameter_counts(const ModelShape& shape);

// Forward FLOPs of `tokens` new tokens of one sequence after `cached` positions, with the head
// applied to `logit_rows` of them (-1: all).
double forward_flops(const ModelShape& shape, int64_t tokens, int64_t cached,
                     int64_t logit_rows = -1);
// One decode step at context t: the new token at position t attends to t + 1 positions.
double decode_flops(const ModelShape& shape, int64_t context);
// PaLM/Megatron training FLOPs per token at sequence length `seq`: 6 N + 12 L H Q T.
double training_flops_per_token(const ModelShape& shape, int64_t seq);

// Bytes of keys and values stored per token per sequence (all layers).
int64_t kv_bytes_per_token(const ModelShape& shape, int bytes_per_element);
// Bytes one decode step of `batch` sequences at context t must read: every weight of a matrix
// product and norm once (the embedding table only when it doubles as the head), plus each
// sequence's cached keys and values for t positions.
struct DecodeBytes {
  double weights = 0.0;
  double kv = 0.0;
  double total() const { return weights + kv; }
};
DecodeBytes decode_bytes(const ModelShape& shape, int64_t batch, int64_t context, int weight_bytes,
                         int kv_bytes);

}  // namespace tb::flops
