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

struct DecoderLayer {
  Tensor norm1_w, norm1_b;  // biases are empty where the architecture has none
  Tensor qkv_w, qkv_b;      // [(heads + 2 kv_heads) * head_dim, hidden]
  Tensor o_w, o_b;          // [hidden, heads * head_dim]
  Tensor norm2_w, norm2_b;
  Tensor up_w,
      up_b;  // SwiGLU: gate and up fused, [2 * intermediate, hidden]; GELU: [inter, hidden]
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

struct DecoderOptions {
  bool layer_norm = false;  // LayerNorm with bias (GPT-2), else RMSNorm (LLaMA)
  bool rope = false;
  bool swiglu = false;  // SwiGLU MLP, else gelu_new
};

std::unique_ptr<Model> make_decoder(const ModelConfig& config, DecoderOptions options,
                                    DecoderWeights weights, Backend& backend);

}  // namespace tb
