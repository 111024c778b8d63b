#pragma once
// A checkpoint's config as metrics/flops sees it (metrics depend on the standard library only).
#include "harness/io/model_config.hpp"
#include "metrics/flops.hpp"

namespace tb {

inline flops::ModelShape model_shape(const ModelConfig& c) {
  flops::ModelShape s;
  s.family = c.architecture == Architecture::Gpt2 ? flops::Family::Gpt2 : flops::Family::Llama;
  s.vocab = c.vocab_size;
  s.hidden = c.hidden_size;
  s.layers = c.num_layers;
  s.heads = c.num_heads;
  s.kv_heads = c.num_kv_heads;
  s.head_dim = c.head_dim;
  s.intermediate = c.intermediate_size;
  s.positions = c.max_positions;
  s.tied_embeddings = c.tie_word_embeddings;
  return s;
}

}  // namespace tb
