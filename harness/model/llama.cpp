// LLaMA (and GQA variants such as MuPT): RMSNorm, RoPE, SwiGLU, no biases, tied or untied head.
// q/k/v are fused into one [q + 2 kv, hidden] matrix and gate/up into one [2 inter, hidden]
// matrix at load, so each layer runs four matrix products.
#include "harness/backend/backend.hpp"
#include "harness/model/architectures.hpp"
#include "harness/model/decoder.hpp"
#include "harness/model/weight_source.hpp"

namespace tb {

std::unique_ptr<Model> build_llama(const ModelConfig& c, const WeightSource& weights,
                                   Backend& backend) {
  DecoderWeights w;
  auto fetch = [&](const std::string& name, const Shape& shape) {
    Tensor t = weights.load_f32(name, shape);
    w.parameters += t.numel();
    return t;
  };
  const int64_t d = c.hidden_size, q = c.num_heads * c.head_dim, kv = c.num_kv_heads * c.head_dim;
  const int64_t inter = c.intermediate_size;
  const Tensor embed = fetch("model.embed_tokens.weight", {c.vocab_size, d});
  w.embed = backend.upload(embed);
  for (int64_t l = 0; l < c.num_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    DecoderLayer L;
    L.norm1_w = backend.upload(fetch(p + "input_layernorm.weight", {d}));
    const Tensor wq = fetch(p + "self_attn.q_proj.weight", {q, d});
    const Tensor wk = fetch(p + "self_attn.k_proj.weight", {kv, d});
    const Tensor wv = fetch(p + "self_attn.v_proj.weight", {kv, d});
    L.qkv_w = backend.upload(concat_rows({&wq, &wk, &wv}));
    L.o_w = backend.upload(fetch(p + "self_attn.o_proj.weight", {d, q}));
    L.norm2_w = backend.upload(fetch(p + "post_attention_layernorm.weight", {d}));
    const Tensor gate = fetch(p + "mlp.gate_proj.weight", {inter, d});
    const Tensor up = fetch(p + "mlp.up_proj.weight", {inter, d});
    L.up_w = backend.upload(concat_rows({&gate, &up}));
    L.down_w = backend.upload(fetch(p + "mlp.down_proj.weight", {d, inter}));
    w.layers.push_back(std::move(L));
  }
  w.final_w = backend.upload(fetch("model.norm.weight", {d}));
  // Tied checkpoints may still carry lm_head.weight (a copy); untied ones must.
  w.head =
      c.tie_word_embeddings ? w.embed : backend.upload(fetch("lm_head.weight", {c.vocab_size, d}));
  return make_decoder(c, {.layer_norm = false, .rope = true, .swiglu = true}, std::move(w),
                      backend);
}

}  // namespace tb
