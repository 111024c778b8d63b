// load_model_config: the fields of real Hugging Face config.json files, their defaults, and a
// one-line error naming the file and the field for every malformed or unsupported value.
#include <doctest/doctest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "harness/core/error.hpp"
#include "harness/io/model_config.hpp"
#include "tests/unit/io/io_test_util.hpp"

namespace tb {
namespace {

using nlohmann::json;
using test::expect_error;
using test::TempDir;

// The config.json LlamaConfig.save_pretrained writes for a LLaMA-2 7B (ChatMusician) model.
json llama_7b() {
  return json::parse(R"({
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 32000,
    "hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32,
    "num_attention_heads": 32, "num_key_value_heads": 32, "max_position_embeddings": 4096,
    "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "rope_scaling": null, "hidden_act": "silu",
    "tie_word_embeddings": false, "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 0,
    "torch_dtype": "float16", "initializer_range": 0.02, "pretraining_tp": 1, "use_cache": true,
    "attention_bias": false, "transformers_version": "4.31.0"})");
}

// The config.json of Hugging Face "gpt2" (124M).
json gpt2_small() {
  return json::parse(R"({
    "activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.1,
    "bos_token_id": 50256, "embd_pdrop": 0.1, "eos_token_id": 50256, "initializer_range": 0.02,
    "layer_norm_epsilon": 1e-05, "model_type": "gpt2", "n_ctx": 1024, "n_embd": 768,
    "n_head": 12, "n_layer": 12, "n_positions": 1024, "resid_pdrop": 0.1,
    "summary_activation": null, "vocab_size": 50257})");
}

ModelConfig load(const TempDir& tmp, const json& config) {
  std::ofstream(tmp / "config.json") << config.dump(2);
  return load_model_config(tmp / "config.json");
}

void expect_field_error(const json& config, ErrorKind kind, const std::string& field,
                        const std::string& what) {
  TempDir tmp;
  INFO("config: " << config.dump());
  expect_error([&] { load(tmp, config); }, kind,
               {(tmp / "config.json").string() + ": " + field + ": ", what});
}

TEST_CASE("a LLaMA-2 7B config.json") {
  TempDir tmp;
  const ModelConfig c = load(tmp, llama_7b());
  CHECK(c.architecture == Architecture::Llama);
  CHECK(c.model_type == "llama");
  CHECK(c.vocab_size == 32000);
  CHECK(c.hidden_size == 4096);
  CHECK(c.num_layers == 32);
  CHECK(c.num_heads == 32);
  CHECK(c.num_kv_heads == 32);
  CHECK(c.head_dim == 128);
  CHECK(c.intermediate_size == 11008);
  CHECK(c.max_positions == 4096);
  CHECK(c.rope_theta == 10000.0);
  CHECK(c.norm_eps == 1e-5);
  CHECK_FALSE(c.tie_word_embeddings);
  CHECK(c.activation == "silu");
  CHECK(c.bos_token_id == 1);
  CHECK(c.eos_token_id == 2);
  CHECK(c.torch_dtype == "float16");
}

TEST_CASE("LLaMA defaults: kv heads, head_dim, rope_theta, tying, token ids") {
  TempDir tmp;
  json j = llama_7b();
  for (const char* key : {"num_key_value_heads", "rope_theta", "tie_word_embeddings", "hidden_act",
                          "architectures", "torch_dtype"}) {
    j.erase(key);
  }
  j["bos_token_id"] = nullptr;
  j["eos_token_id"] = json::array({7, 9});
  ModelConfig c = load(tmp, j);
  CHECK(c.num_kv_heads == 32);
  CHECK(c.head_dim == 128);
  CHECK(c.rope_theta == 10000.0);
  CHECK_FALSE(c.tie_word_embeddings);
  CHECK(c.activation == "silu");
  CHECK(c.bos_token_id == -1);
  CHECK(c.eos_token_id == 7);
  CHECK(c.torch_dtype.empty());

  // GQA (MuPT-style) with an explicit head_dim and an integer rope_theta.
  j["num_key_value_heads"] = 8;
  j["head_dim"] = 64;
  j["rope_theta"] = 500000;
  j["dtype"] = "bfloat16";  // recent transformers spell torch_dtype this way
  c = load(tmp, j);
  CHECK(c.num_kv_heads == 8);
  CHECK(c.head_dim == 64);
  CHECK(c.rope_theta == 500000.0);
  CHECK(c.torch_dtype == "bfloat16");
}

TEST_CASE("a GPT-2 config.json and its defaults") {
  TempDir tmp;
  json j = gpt2_small();
  ModelConfig c = load(tmp, j);
  CHECK(c.architecture == Architecture::Gpt2);
  CHECK(c.model_type == "gpt2");
  CHECK(c.vocab_size == 50257);
  CHECK(c.hidden_size == 768);
  CHECK(c.num_layers == 12);
  CHECK(c.num_heads == 12);
  CHECK(c.num_kv_heads == 12);
  CHECK(c.head_dim == 64);
  CHECK(c.intermediate_size == 3072);  // n_inner absent: 4 * n_embd
  CHECK(c.max_positions == 1024);
  CHECK(c.norm_eps == 1e-5);
  CHECK(c.tie_word_embeddings);  // GPT-2 ties unless told otherwise
  CHECK(c.activation == "gelu_new");
  CHECK(c.bos_token_id == 50256);
  CHECK(c.eos_token_id == 50256);

  j["n_inner"] = nullptr;
  j.erase("n_positions");
  j["n_ctx"] = 512;
  j["activation_function"] = "gelu";
  j["tie_word_embeddings"] = false;
  c = load(tmp, j);
  CHECK(c.intermediate_size == 3072);
  CHECK(c.max_positions == 512);
  CHECK(c.activation == "gelu");
  CHECK_FALSE(c.tie_word_embeddings);
  j["n_inner"] = 1000;
  CHECK(load(tmp, j).intermediate_size == 1000);
}

TEST_CASE("malformed config.json files are BadInput naming the file") {
  TempDir tmp;
  const auto file = (tmp / "config.json").string();
  test::write_bytes(tmp / "config.json", "{\"model_type\": \"llama\",");
  expect_error([&] { load_model_config(tmp / "config.json"); }, ErrorKind::BadInput,
               {file, "malformed JSON"});
  test::write_bytes(tmp / "config.json", "[\"llama\"]");
  expect_error([&] { load_model_config(tmp / "config.json"); }, ErrorKind::BadInput,
               {file, "expected a JSON object"});
  expect_error([&] { load_model_config(tmp / "absent.json"); }, ErrorKind::Io, {"absent.json"});
}

TEST_CASE("missing, ill-typed or out-of-range fields name the field") {
  auto without = [](json j, const char* key) {
    j.erase(key);
    return j;
  };
  auto with = [](json j, const char* key, json value) {
    j[key] = std::move(value);
    return j;
  };
  const auto bad = ErrorKind::BadInput;
  expect_field_error(without(llama_7b(), "model_type"), bad, "model_type", "missing");
  expect_field_error(with(llama_7b(), "model_type", 3), bad, "model_type", "must be a string");
  expect_field_error(without(llama_7b(), "hidden_size"), bad, "hidden_size", "missing");
  expect_field_error(without(llama_7b(), "intermediate_size"), bad, "intermediate_size", "missing");
  expect_field_error(without(llama_7b(), "rms_norm_eps"), bad, "rms_norm_eps", "missing");
  expect_field_error(with(llama_7b(), "hidden_size", "4096"), bad, "hidden_size",
                     "must be an integer, found a string");
  expect_field_error(with(llama_7b(), "num_hidden_layers", 32.5), bad, "num_hidden_layers",
                     "must be an integer");
  expect_field_error(with(llama_7b(), "vocab_size", 0), bad, "vocab_size", "must be positive");
  expect_field_error(with(llama_7b(), "vocab_size", -5), bad, "vocab_size", "must be positive");
  expect_field_error(with(llama_7b(), "vocab_size", json::parse("18446744073709551615")), bad,
                     "vocab_size", "exceeds the limit of 2147483648");
  expect_field_error(with(llama_7b(), "rms_norm_eps", -1e-5), bad, "rms_norm_eps",
                     "must be positive");
  expect_field_error(with(llama_7b(), "rope_theta", "10000"), bad, "rope_theta",
                     "must be a number");
  expect_field_error(with(llama_7b(), "tie_word_embeddings", 1), bad, "tie_word_embeddings",
                     "must be true or false");
  expect_field_error(with(llama_7b(), "num_attention_heads", 30), bad, "num_attention_heads",
                     "does not divide hidden_size 4096");
  expect_field_error(with(llama_7b(), "num_key_value_heads", 5), bad, "num_key_value_heads",
                     "does not divide num_attention_heads 32");
  expect_field_error(with(llama_7b(), "eos_token_id", "</s>"), bad, "eos_token_id",
                     "non-negative integer");
  expect_field_error(with(llama_7b(), "bos_token_id", -1), bad, "bos_token_id",
                     "non-negative integer");
  expect_field_error(with(gpt2_small(), "n_head", 7), bad, "n_head", "does not divide n_embd");
  expect_field_error(without(without(gpt2_small(), "n_positions"), "n_ctx"), bad, "n_ctx",
                     "missing");
  expect_field_error(with(gpt2_small(), "n_inner", 0), bad, "n_inner", "must be positive");
}

TEST_CASE("numbers that make no sense are refused with the limit named (issue 17)") {
  const auto bad = ErrorKind::BadInput;
  auto with = [](json j, const char* key, json value) {
    j[key] = std::move(value);
    return j;
  };
  // theta^(-2i/d) overflows for a tiny theta and the logits became NaN: "perplexity nan".
  expect_field_error(with(llama_7b(), "rope_theta", 1e-308), bad, "rope_theta",
                     "must be at least 1");
  expect_field_error(with(llama_7b(), "rope_theta", 0.5), bad, "rope_theta", "must be at least 1");
  TempDir tmp;
  CHECK(load(tmp, with(llama_7b(), "rope_theta", 1.0)).rope_theta == 1.0);
  // 2^31 positions passed the dimension check and sized a 3.2 GB KV cache for 9 tokens.
  expect_field_error(with(llama_7b(), "max_position_embeddings", int64_t{1} << 31), bad,
                     "max_position_embeddings", "exceeds the limit of 16777216");
  expect_field_error(with(gpt2_small(), "n_positions", int64_t{1} << 25), bad, "n_positions",
                     "exceeds the limit of 16777216");
  CHECK(load(tmp, with(llama_7b(), "max_position_embeddings", int64_t{1} << 24)).max_positions ==
        int64_t{1} << 24);
}

TEST_CASE("valid configs tunebench cannot run are Unsupported naming the field") {
  const auto unsupported = ErrorKind::Unsupported;
  json mistral = llama_7b();
  mistral["model_type"] = "xyz";
  expect_field_error(mistral, unsupported, "model_type",
                     "unknown architecture 'xyz' (supported: llama, gpt2)");
  json scaled = llama_7b();
  scaled["rope_scaling"] = {{"type", "linear"}, {"factor", 2.0}};
  expect_field_error(scaled, unsupported, "rope_scaling", "not supported");
  json gelu_llama = llama_7b();
  gelu_llama["hidden_act"] = "gelu";
  expect_field_error(gelu_llama, unsupported, "hidden_act", "'gelu' is not supported");
  json biased = llama_7b();
  biased["attention_bias"] = true;
  expect_field_error(biased, unsupported, "attention_bias", "not supported");
  json relu = gpt2_small();
  relu["activation_function"] = "relu";
  expect_field_error(relu, unsupported, "activation_function", "'relu' is not supported");
  json layer_scaled = gpt2_small();
  layer_scaled["scale_attn_by_inverse_layer_idx"] = true;
  expect_field_error(layer_scaled, unsupported, "scale_attn_by_inverse_layer_idx", "not supported");
}

}  // namespace
}  // namespace tb
