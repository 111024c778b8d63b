#pragma once
// The architecture hyper-parameters tunebench needs, read from a Hugging Face config.json.
#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace tb {

enum class Architecture { Llama, Gpt2 };

struct ModelConfig {
  Architecture architecture = Architecture::Llama;
  std::string model_type;  // as written in config.json: "llama", "gpt2"
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;        // llama hidden_size, gpt2 n_embd
  int64_t num_layers = 0;         // num_hidden_layers, n_layer
  int64_t num_heads = 0;          // num_attention_heads, n_head
  int64_t num_kv_heads = 0;       // num_key_value_heads (defaults to num_heads); gpt2: n_head
  int64_t head_dim = 0;           // hidden_size / num_heads unless config.json says head_dim
  int64_t intermediate_size = 0;  // llama intermediate_size, gpt2 n_inner (default 4 * n_embd)
  int64_t max_positions = 0;      // max_position_embeddings, n_positions
  double rope_theta = 10000.0;
  double norm_eps = 1e-6;  // rms_norm_eps, layer_norm_epsilon
  bool tie_word_embeddings = false;
  std::string activation;     // "silu" (llama hidden_act), "gelu_new" (gpt2 activation_function)
  int64_t bos_token_id = -1;  // -1 when config.json has none
  int64_t eos_token_id = -1;
  std::string torch_dtype;  // informational only; the tensors' own dtypes are authoritative
  std::string source;       // the config.json it was read from ("" for configs made in code)
};

// Parses and validates `path` (a config.json). Throws tb::Error (BadInput/Unsupported) naming
// the file and the field on malformed JSON, a missing or ill-typed field, or an unknown
// model_type.
ModelConfig load_model_config(const std::filesystem::path& path);

// The config.json Hugging Face's conversion would write for `c` (model_type llama or gpt2, the
// fields load_model_config reads): what a run records for a checkpoint that has no config.json.
nlohmann::json hf_config_json(const ModelConfig& c);

}  // namespace tb
