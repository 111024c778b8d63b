#include "harness/io/model_config.hpp"

#include <cmath>
#include <optional>

#include <nlohmann/json.hpp>

#include "harness/core/error.hpp"
#include "harness/core/limits.hpp"
#include "harness/io/json_file.hpp"

namespace tb {
namespace {

using nlohmann::json;

// Sizes beyond this are not plausible for any model and would overflow products downstream.
constexpr int64_t kMaxDimension = limits::kModelDimension;

// Reads the fields of one config.json object, each error naming the file and the field.
class Fields {
 public:
  Fields(const json& root, std::string file) : root_(root), file_(std::move(file)) {}

  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    throw bad_input(file_, field, what);
  }
  [[noreturn]] void unsupported(const std::string& field, const std::string& what) const {
    throw Error(ErrorKind::Unsupported, file_ + ": " + field + ": " + what);
  }

  // The value, or nullptr when the key is absent or null (Hugging Face writes both).
  const json* find(const std::string& key) const {
    const auto it = root_.find(key);
    if (it == root_.end() || it->is_null()) return nullptr;
    return &*it;
  }

  // A positive integer; `fallback` when absent or null, an error when absent without fallback.
  int64_t positive(const std::string& key, std::optional<int64_t> fallback = std::nullopt) const {
    return positive_at_most(key, kMaxDimension, fallback);
  }

  // A positive integer no larger than `limit` (a stated limit, named in the message).
  int64_t positive_at_most(const std::string& key, int64_t limit,
                           std::optional<int64_t> fallback = std::nullopt) const {
    const json* v = find(key);
    if (!v) {
      if (fallback) return *fallback;
      fail(key, "missing");
    }
    if (!v->is_number_integer()) fail(key, "must be an integer, found " + json_type_name(*v));
    if (v->is_number_unsigned() ? v->get<uint64_t>() > static_cast<uint64_t>(limit)
                                : v->get<int64_t>() > limit) {
      fail(key, "value " + json_excerpt(*v) + " exceeds the limit of " + std::to_string(limit));
    }
    const auto value = v->get<int64_t>();
    if (value <= 0) fail(key, "must be positive, found " + json_excerpt(*v));
    return value;
  }

  // A finite positive number (integers accepted: "rope_theta": 10000), at least `low` when given.
  double positive_real(const std::string& key, std::optional<double> fallback,
                       std::optional<double> low = std::nullopt) const {
    const json* v = find(key);
    if (!v) {
      if (fallback) return *fallback;
      fail(key, "missing");
    }
    if (!v->is_number()) fail(key, "must be a number, found " + json_type_name(*v));
    const auto value = v->get<double>();
    if (!std::isfinite(value) || value <= 0)
      fail(key, "must be positive, found " + json_excerpt(*v));
    if (low && value < *low) {
      fail(key, "must be at least " + json_excerpt(*low) + ", found " + json_excerpt(*v));
    }
    return value;
  }

  bool boolean(const std::string& key, bool fallback) const {
    const json* v = find(key);
    if (!v) return fallback;
    if (!v->is_boolean()) fail(key, "must be true or false, found " + json_type_name(*v));
    return v->get<bool>();
  }

  std::string string(const std::string& key, const std::string& fallback) const {
    const json* v = find(key);
    if (!v) return fallback;
    if (!v->is_string()) fail(key, "must be a string, found " + json_type_name(*v));
    return v->get<std::string>();
  }

  // A token id: an integer, a list of them (the first counts), or null/absent (-1).
  int64_t token_id(const std::string& key) const {
    const json* v = find(key);
    if (!v) return -1;
    const json* id = v;
    if (v->is_array()) {
      if (v->empty()) return -1;
      id = &(*v)[0];
    }
    if (!id->is_number_integer() || (!id->is_number_unsigned() && id->get<int64_t>() < 0)) {
      fail(key, "must be a non-negative integer or a list of them, found " + json_excerpt(*v));
    }
    if (id->get<uint64_t>() >= static_cast<uint64_t>(kMaxDimension)) {
      fail(key, "value " + json_excerpt(*id) + " is implausibly large");
    }
    return id->get<int64_t>();
  }

  // An optional feature tunebench does not implement must be absent, null or false.
  void require_false(const std::string& key) const {
    if (boolean(key, false)) unsupported(key, "true is not supported");
  }

 private:
  const json& root_;
  std::string file_;
};

void load_llama(const Fields& f, ModelConfig& c) {
  c.architecture = Architecture::Llama;
  c.vocab_size = f.positive("vocab_size");
  c.hidden_size = f.positive("hidden_size");
  c.num_layers = f.positive("num_hidden_layers");
  c.num_heads = f.positive("num_attention_heads");
  c.num_kv_heads = f.positive("num_key_value_heads", c.num_heads);
  const bool explicit_head_dim = f.find("head_dim") != nullptr;
  if (!explicit_head_dim && c.hidden_size % c.num_heads != 0) {
    f.fail("num_attention_heads", std::to_string(c.num_heads) + " does not divide hidden_size " +
                                      std::to_string(c.hidden_size));
  }
  c.head_dim = f.positive("head_dim", c.hidden_size / c.num_heads);
  if (c.num_heads % c.num_kv_heads != 0) {
    f.fail("num_key_value_heads", std::to_string(c.num_kv_heads) +
                                      " does not divide num_attention_heads " +
                                      std::to_string(c.num_heads));
  }
  c.intermediate_size = f.positive("intermediate_size");
  c.max_positions = f.positive_at_most("max_position_embeddings", limits::kPositionEmbeddings);
  // theta^(-2i/d) must not exceed 1, or the RoPE angles overflow into NaN logits.
  c.rope_theta = f.positive_real("rope_theta", 10000.0, limits::kMinRopeTheta);
  c.norm_eps = f.positive_real("rms_norm_eps", std::nullopt);
  c.tie_word_embeddings = f.boolean("tie_word_embeddings", false);
  c.activation = f.string("hidden_act", "silu");
  if (c.activation != "silu") {
    f.unsupported("hidden_act", "'" + c.activation + "' is not supported (supported: silu)");
  }
  if (const json* scaling = f.find("rope_scaling")) {
    f.unsupported("rope_scaling", json_excerpt(*scaling) + " is not supported (only plain RoPE)");
  }
  // Biases on attention or MLP projections would be silently ignored by a plain LLaMA.
  f.require_false("attention_bias");
  f.require_false("mlp_bias");
}

void load_gpt2(const Fields& f, ModelConfig& c) {
  c.architecture = Architecture::Gpt2;
  c.vocab_size = f.positive("vocab_size");
  c.hidden_size = f.positive("n_embd");
  c.num_layers = f.positive("n_layer");
  c.num_heads = f.positive("n_head");
  if (c.hidden_size % c.num_heads != 0) {
    f.fail("n_head", std::to_string(c.num_heads) + " does not divide n_embd " +
                         std::to_string(c.hidden_size));
  }
  c.num_kv_heads = c.num_heads;
  c.head_dim = c.hidden_size / c.num_heads;
  c.intermediate_size = f.positive("n_inner", 4 * c.hidden_size);
  c.max_positions = f.positive_at_most(f.find("n_positions") ? "n_positions" : "n_ctx",
                                       limits::kPositionEmbeddings);
  c.norm_eps = f.positive_real("layer_norm_epsilon", 1e-5);
  c.tie_word_embeddings = f.boolean("tie_word_embeddings", true);
  c.activation = f.string("activation_function", "gelu_new");
  if (c.activation != "gelu_new" && c.activation != "gelu") {
    f.unsupported("activation_function",
                  "'" + c.activation + "' is not supported (supported: gelu_new, gelu)");
  }
  // Variants of the attention scaling that change the numbers.
  f.require_false("scale_attn_by_inverse_layer_idx");
  if (!f.boolean("scale_attn_weights", true)) {
    f.unsupported("scale_attn_weights", "false is not supported");
  }
}

}  // namespace

ModelConfig load_model_config(const std::filesystem::path& path) {
  const std::string file = path.string();
  const json root = read_json_file(path);
  const Fields f(root, file);

  ModelConfig c;
  const json* type = f.find("model_type");
  if (!type) f.fail("model_type", "missing");
  if (!type->is_string()) f.fail("model_type", "must be a string, found " + json_type_name(*type));
  c.model_type = type->get<std::string>();
  if (c.model_type == "llama") {
    load_llama(f, c);
  } else if (c.model_type == "gpt2") {
    load_gpt2(f, c);
  } else {
    f.unsupported("model_type",
                  "unknown architecture '" + c.model_type + "' (supported: llama, gpt2)");
  }
  c.bos_token_id = f.token_id("bos_token_id");
  c.eos_token_id = f.token_id("eos_token_id");
  // Recent transformers write "dtype" instead of "torch_dtype".
  c.torch_dtype = f.string("torch_dtype", f.string("dtype", ""));
  c.source = file;
  return c;
}

nlohmann::json hf_config_json(const ModelConfig& c) {
  json j;
  j["model_type"] = c.model_type;
  j["vocab_size"] = c.vocab_size;
  j["tie_word_embeddings"] = c.tie_word_embeddings;
  if (c.architecture == Architecture::Llama) {
    j["architectures"] = {"LlamaForCausalLM"};
    j["hidden_size"] = c.hidden_size;
    j["num_hidden_layers"] = c.num_layers;
    j["num_attention_heads"] = c.num_heads;
    j["num_key_value_heads"] = c.num_kv_heads;
    if (c.head_dim * c.num_heads != c.hidden_size) j["head_dim"] = c.head_dim;
    j["intermediate_size"] = c.intermediate_size;
    j["max_position_embeddings"] = c.max_positions;
    j["rope_theta"] = c.rope_theta;
    j["rms_norm_eps"] = c.norm_eps;
    j["hidden_act"] = c.activation;
  } else {
    j["architectures"] = {"GPT2LMHeadModel"};
    j["n_embd"] = c.hidden_size;
    j["n_layer"] = c.num_layers;
    j["n_head"] = c.num_heads;
    j["n_inner"] = c.intermediate_size;
    j["n_positions"] = c.max_positions;
    j["layer_norm_epsilon"] = c.norm_eps;
    j["activation_function"] = c.activation;
  }
  if (c.bos_token_id >= 0) j["bos_token_id"] = c.bos_token_id;
  if (c.eos_token_id >= 0) j["eos_token_id"] = c.eos_token_id;
  if (!c.torch_dtype.empty()) j["torch_dtype"] = c.torch_dtype;
  return j;
}

}  // namespace tb
