// GPT-2: learned positions, LayerNorm with bias, gelu_new MLP, tied head. Its Conv1D weights are
// stored [in, out]; they are transposed once at load into the Linear layout [out, in] (in f32,
// then placed in the run's weight dtype). Names are accepted with and without the
// "transformer." prefix; the attn.bias / attn.masked_bias buffers some checkpoints carry are
// causal-mask constants and are ignored.
#include "harness/backend/backend.hpp"
#include "harness/model/architectures.hpp"
#include "harness/model/decoder.hpp"
#include "harness/model/weight_source.hpp"

namespace tb {

std::unique_ptr<Model> build_gpt2(const ModelConfig& c, WeightLoader& weights,
                                  const ModelPrecision& precision, Backend& backend) {
  DecoderWeights w;
  const std::string prefix = weights.has("transformer.wte.weight") ? "transformer." : "";
  auto conv1d = [&](const std::string& name, int64_t in, int64_t out) {
    return weights.matrix_from_f32(prefix + name,
                                   transpose_2d(weights.load_f32(prefix + name, {in, out})));
  };
  auto vector = [&](const std::string& name, int64_t n) {
    return weights.vector(prefix + name, {n});
  };
  const int64_t d = c.hidden_size, inter = c.intermediate_size;
  w.embed = weights.matrix(prefix + "wte.weight", {c.vocab_size, d});
  w.positions = weights.matrix(prefix + "wpe.weight", {c.max_positions, d});
  for (int64_t l = 0; l < c.num_layers; ++l) {
    const std::string p = "h." + std::to_string(l) + ".";
    DecoderLayer L;
    L.norm1_w = vector(p + "ln_1.weight", d);
    L.norm1_b = vector(p + "ln_1.bias", d);
    L.qkv.weights = {conv1d(p + "attn.c_attn.weight", d, 3 * d)};
    L.qkv.biases = {vector(p + "attn.c_attn.bias", 3 * d)};
    L.o_w = conv1d(p + "attn.c_proj.weight", d, d);
    L.o_b = vector(p + "attn.c_proj.bias", d);
    L.norm2_w = vector(p + "ln_2.weight", d);
    L.norm2_b = vector(p + "ln_2.bias", d);
    L.up.weights = {conv1d(p + "mlp.c_fc.weight", d, inter)};
    L.up.biases = {vector(p + "mlp.c_fc.bias", inter)};
    L.down_w = conv1d(p + "mlp.c_proj.weight", inter, d);
    L.down_b = vector(p + "mlp.c_proj.bias", d);
    w.layers.push_back(std::move(L));
  }
  w.final_w = vector("ln_f.weight", d);
  w.final_b = vector("ln_f.bias", d);
  // GPT2LMHeadModel ties the head to wte unless the config unties it and the checkpoint has one.
  const bool own_head = !c.tie_word_embeddings && weights.has("lm_head.weight");
  w.head = own_head ? weights.matrix("lm_head.weight", {c.vocab_size, d}) : w.embed;
  w.parameters = weights.parameters();
  return make_decoder(c, {.layer_norm = true, .rope = false, .swiglu = false}, std::move(w),
                      precision, backend);
}

}  // namespace tb
