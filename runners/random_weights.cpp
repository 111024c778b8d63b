#include "runners/random_weights.hpp"

#include <cmath>

#include "harness/core/error.hpp"

namespace tb {

namespace {

// splitmix64: fast enough for billions of values and the same on every platform.
struct Random {
  uint64_t state;
  float next_unit() {  // in [-1, 1)
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return static_cast<float>(static_cast<double>(z >> 40) / static_cast<double>(1 << 23) - 1.0);
  }
};

Tensor filled(const Shape& shape, float value) {
  Tensor t = Tensor::zeros(shape, DType::F32);
  float* data = t.data_as<float>();
  for (int64_t i = 0; i < t.numel(); ++i) data[i] = value;
  return t;
}

Tensor uniform(const Shape& shape, int64_t fan_in, Random& rng) {
  Tensor t = Tensor::zeros(shape, DType::F32);
  const float scale = 1.0f / std::sqrt(static_cast<float>(fan_in));
  float* data = t.data_as<float>();
  for (int64_t i = 0; i < t.numel(); ++i) data[i] = scale * rng.next_unit();
  return t;
}

void add_llama(const ModelConfig& c, Random& rng, std::map<std::string, Tensor>& w) {
  const int64_t d = c.hidden_size, q = c.num_heads * c.head_dim, kv = c.num_kv_heads * c.head_dim,
                inter = c.intermediate_size, v = c.vocab_size;
  w["model.embed_tokens.weight"] = uniform({v, d}, 1, rng);
  if (!c.tie_word_embeddings) w["lm_head.weight"] = uniform({v, d}, d, rng);
  w["model.norm.weight"] = filled({d}, 1.0f);
  for (int64_t l = 0; l < c.num_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    w[p + "input_layernorm.weight"] = filled({d}, 1.0f);
    w[p + "post_attention_layernorm.weight"] = filled({d}, 1.0f);
    w[p + "self_attn.q_proj.weight"] = uniform({q, d}, d, rng);
    w[p + "self_attn.k_proj.weight"] = uniform({kv, d}, d, rng);
    w[p + "self_attn.v_proj.weight"] = uniform({kv, d}, d, rng);
    w[p + "self_attn.o_proj.weight"] = uniform({d, q}, q, rng);
    w[p + "mlp.gate_proj.weight"] = uniform({inter, d}, d, rng);
    w[p + "mlp.up_proj.weight"] = uniform({inter, d}, d, rng);
    w[p + "mlp.down_proj.weight"] = uniform({d, inter}, inter, rng);
  }
}

// GPT-2's Conv1D layers store [in, out].
void add_gpt2(const ModelConfig& c, Random& rng, std::map<std::string, Tensor>& w) {
  const int64_t d = c.hidden_size, inter = c.intermediate_size;
  w["transformer.wte.weight"] = uniform({c.vocab_size, d}, 1, rng);
  w["transformer.wpe.weight"] = uniform({c.max_positions, d}, d, rng);
  w["transformer.ln_f.weight"] = filled({d}, 1.0f);
  w["transformer.ln_f.bias"] = filled({d}, 0.0f);
  if (!c.tie_word_embeddings) w["lm_head.weight"] = uniform({c.vocab_size, d}, d, rng);
  for (int64_t l = 0; l < c.num_layers; ++l) {
    const std::string p = "transformer.h." + std::to_string(l) + ".";
    for (const char* norm : {"ln_1", "ln_2"}) {
      w[p + norm + ".weight"] = filled({d}, 1.0f);
      w[p + norm + ".bias"] = filled({d}, 0.0f);
    }
    w[p + "attn.c_attn.weight"] = uniform({d, 3 * d}, d, rng);
    w[p + "attn.c_attn.bias"] = filled({3 * d}, 0.0f);
    w[p + "attn.c_proj.weight"] = uniform({d, d}, d, rng);
    w[p + "attn.c_proj.bias"] = filled({d}, 0.0f);
    w[p + "mlp.c_fc.weight"] = uniform({d, inter}, d, rng);
    w[p + "mlp.c_fc.bias"] = filled({inter}, 0.0f);
    w[p + "mlp.c_proj.weight"] = uniform({inter, d}, inter, rng);
    w[p + "mlp.c_proj.bias"] = filled({d}, 0.0f);
  }
}

}  // namespace

std::map<std::string, Tensor> random_weights(const ModelConfig& config, uint64_t seed) {
  Random rng{seed};
  std::map<std::string, Tensor> w;
  switch (config.architecture) {
    case Architecture::Llama:
      add_llama(config, rng, w);
      break;
    case Architecture::Gpt2:
      add_gpt2(config, rng, w);
      break;
  }
  return w;
}

}  // namespace tb
