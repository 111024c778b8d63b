#pragma once
// The pre-norm decoder-only transformer both LLaMA and GPT-2 are: embedding (+ learned positions),
// per layer norm -> fused QKV (+ RoPE) -> attention over the KV cache -> output projection added
// to the residual -> norm -> MLP (SwiGLU or GELU) added to the residual, final norm, head.
// llama.cpp and gpt2.cpp only map checkpoint names and layouts onto DecoderWeights.
#include <memory>
#include <vector>

#include "harness/backend/backend.hpp"
#include "harness/model/model.hpp"

namespace tb {

// One activation computed by one or more weight matrices whose outputs sit side by side
// (q, k, v; gate, up): each part writes its columns, so checkpoint tensors are used as stored
// instead of being copied into a fused matrix.
struct SplitLinear {
  std::vector<Tensor> weights;  // [n_i, in] each
  std::vector<Tensor> biases;   // one per weight, empty where there is none
  int64_t out_width() const;
};

struct DecoderLayer {
  Tensor norm1_w, norm1_b;  // biases are empty where the architecture has none
  SplitLinear qkv;          // -> [(heads + 2 kv_heads) * head_dim]
  Tensor o_w, o_b;          // [hidden, heads * head_dim]
  Tensor norm2_w, norm2_b;
  SplitLinear up;         // SwiGLU: gate then up, 2 * intermediate; GELU: intermediate
  Tensor down_w, down_b;  // [hidden, intermediate]
};

struct DecoderWeights {
  Tensor embed;      // [vocab, hidden]
  Tensor positions;  // [max_positions, hidden] or empty (RoPE)
  std::vector<DecoderLayer> layers;
  Tensor final_w, final_b;
  Tensor head;  // [vocab, hidden]; the embedding itself when tied
  int64_t parameters = 0;
};

// Total bytes of the tensors (a tied head counted once).
int64_t decoder_weight_bytes(const DecoderWeights& weights);

struct DecoderOptions {
  bool layer_norm = false;  // LayerNorm with bias (GPT-2), else RMSNorm (LLaMA)
  bool rope = false;
  bool swiglu = false;  // SwiGLU MLP, else gelu_new
};

std::unique_ptr<Model> make_decoder(const ModelConfig& config, DecoderOptions options,
                                    DecoderWeights weights, const ModelPrecision& precision,
                                    Backend& backend);

}  // namespace tb
