// GPT-2: learned positions, LayerNorm with bias, gelu_new MLP, tied head. Its Conv1D weights are
// stored [in, out]; they are transposed once at load into the Linear layout [out, in]. Names are
// accepted with and without the "transformer." prefix; the attn.bias / attn.masked_bias buffers
// some checkpoints carry are causal-mask constants and are ignored.
#include "harness/backend/backend.hpp"
#include "harness/model/architectures.hpp"
#include "harness/model/decoder.hpp"
#include "harness/model/weight_source.hpp"

namespace tb {

std::unique_ptr<Model> build_gpt2(const ModelConfig& c, const WeightSource& weights,
                                  Backend& backend) {
  DecoderWeights w;
  const std::string prefix = weights.has("transformer.wte.weight") ? "transformer." : "";
  auto fetch = [&](const std::string& name, const Shape& shape) {
    Tensor t = weights.load_f32(prefix + name, shape);
    w.parameters += t.numel();
    return t;
  };
  auto conv1d = [&](const std::string& name, int64_t in, int64_t out) {
    return backend.upload(transpose_2d(fetch(name, {in, out})));
  };
  const int64_t d = c.hidden_size, inter = c.intermediate_size;
  w.embed = backend.upload(fetch("wte.weight", {c.vocab_size, d}));
  w.positions = backend.upload(fetch("wpe.weight", {c.max_positions, d}));
  for (int64_t l = 0; l < c.num_layers; ++l) {
    const std::string p = "h." + std::to_string(l) + ".";
    DecoderLayer L;
    L.norm1_w = backend.upload(fetch(p + "ln_1.weight", {d}));
    L.norm1_b = backend.upload(fetch(p + "ln_1.bias", {d}));
    L.qkv_w = conv1d(p + "attn.c_attn.weight", d, 3 * d);
    L.qkv_b = backend.upload(fetch(p + "attn.c_attn.bias", {3 * d}));
    L.o_w = conv1d(p + "attn.c_proj.weight", d, d);
    L.o_b = backend.upload(fetch(p + "attn.c_proj.bias", {d}));
    L.norm2_w = backend.upload(fetch(p + "ln_2.weight", {d}));
    L.norm2_b = backend.upload(fetch(p + "ln_2.bias", {d}));
    L.up_w = conv1d(p + "mlp.c_fc.weight", d, inter);
    L.up_b = backend.upload(fetch(p + "mlp.c_fc.bias", {inter}));
    L.down_w = conv1d(p + "mlp.c_proj.weight", inter, d);
    L.down_b = backend.upload(fetch(p + "mlp.c_proj.bias", {d}));
    w.layers.push_back(std::move(L));
  }
  w.final_w = backend.upload(fetch("ln_f.weight", {d}));
  w.final_b = backend.upload(fetch("ln_f.bias", {d}));
  // GPT2LMHeadModel ties the head to wte unless the config unties it and the checkpoint has one.
  const bool own_head = !c.tie_word_embeddings && weights.has("lm_head.weight");
  w.head =
      own_head ? backend.upload(weights.load_f32("lm_head.weight", {c.vocab_size, d})) : w.embed;
  if (own_head) w.parameters += c.vocab_size * d;
  return make_decoder(c, {.layer_norm = true, .rope = false, .swiglu = false}, std::move(w),
                      backend);
}

}  // namespace tb
