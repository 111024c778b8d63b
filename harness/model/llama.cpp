// LLaMA (and GQA variants such as MuPT): RMSNorm, RoPE, SwiGLU, no biases, tied or untied head.
// q/k/v write one fused activation, as do gate/up, each from its own checkpoint tensor (no
// copy), so each layer runs four activations' worth of matrix products.
#include "harness/backend/backend.hpp"
#include "harness/model/architectures.hpp"
#include "harness/model/decoder.hpp"
#include "harness/model/weight_source.hpp"

namespace tb {

std::unique_ptr<Model> build_llama(const ModelConfig& c, WeightLoader& weights,
                                   const ModelPrecision& precision, Backend& backend) {
  DecoderWeights w;
  const int64_t d = c.hidden_size, q = c.num_heads * c.head_dim, kv = c.num_kv_heads * c.head_dim;
  const int64_t inter = c.intermediate_size;
  w.embed = weights.matrix("model.embed_tokens.weight", {c.vocab_size, d});
  for (int64_t l = 0; l < c.num_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    DecoderLayer L;
    L.norm1_w = weights.vector(p + "input_layernorm.weight", {d});
    L.qkv.weights = {weights.matrix(p + "self_attn.q_proj.weight", {q, d}),
                     weights.matrix(p + "self_attn.k_proj.weight", {kv, d}),
                     weights.matrix(p + "self_attn.v_proj.weight", {kv, d})};
    L.qkv.biases.resize(3);
    L.o_w = weights.matrix(p + "self_attn.o_proj.weight", {d, q});
    L.norm2_w = weights.vector(p + "post_attention_layernorm.weight", {d});
    L.up.weights = {weights.matrix(p + "mlp.gate_proj.weight", {inter, d}),
                    weights.matrix(p + "mlp.up_proj.weight", {inter, d})};
    L.up.biases.resize(2);
    L.down_w = weights.matrix(p + "mlp.down_proj.weight", {d, inter});
    w.layers.push_back(std::move(L));
  }
  w.final_w = weights.vector("model.norm.weight", {d});
  // Tied checkpoints may still carry lm_head.weight (a copy); untied ones must.
  w.head = c.tie_word_embeddings ? w.embed : weights.matrix("lm_head.weight", {c.vocab_size, d});
  w.parameters = weights.parameters();
  return make_decoder(c, {.layer_norm = false, .rope = true, .swiglu = true}, std::move(w),
                      precision, backend);
}

}  // namespace tb
