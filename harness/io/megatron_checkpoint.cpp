#include "harness/io/megatron_checkpoint.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include "harness/core/error.hpp"
#include "harness/core/limits.hpp"
#include "harness/io/json_file.hpp"

namespace tb {
namespace {

namespace fs = std::filesystem;
using Kind = PickleValue::Kind;

constexpr const char* kModelFile = "model_optim_rng.pt";

// The pickled argparse.Namespace: fields read as plain values, each error naming "args.FIELD".
class Args {
 public:
  Args(const PickleValue* ns, std::string file) : ns_(ns), file_(std::move(file)) {}

  bool present() const { return ns_ != nullptr; }

  const PickleValue* get(const std::string& name) const {
    if (ns_ == nullptr) return nullptr;
    const PickleValue* v = ns_->find(name);
    return v == nullptr || v->is(Kind::None) ? nullptr : v;
  }
  [[noreturn]] void fail(const std::string& name, const std::string& what) const {
    throw bad_input(file_, "args." + name, what);
  }
  [[noreturn]] void unsupported(const std::string& name, const std::string& what) const {
    throw Error(ErrorKind::Unsupported, file_ + ": args." + name + ": " + what);
  }

  int64_t positive(const std::string& name, std::optional<int64_t> fallback = {}) const {
    const PickleValue* v = get(name);
    if (v == nullptr) {
      if (fallback) return *fallback;
      fail(name,
           ns_ == nullptr ? "missing (the checkpoint has no args; pass --config)" : "missing");
    }
    if (!v->is(Kind::Int)) fail(name, "must be an integer");
    if (v->integer <= 0 || v->integer > limits::kModelDimension) {
      fail(name, "value " + std::to_string(v->integer) + " is not in 1.." +
                     std::to_string(limits::kModelDimension));
    }
    return v->integer;
  }
  bool flag(const std::string& name, bool fallback) const {
    const PickleValue* v = get(name);
    if (v == nullptr) return fallback;
    if (!v->is(Kind::Bool)) fail(name, "must be True or False");
    return v->boolean;
  }
  double real(const std::string& name, double fallback) const {
    const PickleValue* v = get(name);
    if (v == nullptr) return fallback;
    if (!v->is(Kind::Float) && !v->is(Kind::Int)) fail(name, "must be a number");
    const double x = v->is(Kind::Float) ? v->real : static_cast<double>(v->integer);
    if (!std::isfinite(x) || x <= 0) fail(name, "must be positive and finite");
    return x;
  }
  std::string text(const std::string& name, const std::string& fallback) const {
    const PickleValue* v = get(name);
    if (v == nullptr) return fallback;
    if (!v->is(Kind::String)) fail(name, "must be a string");
    return v->text;
  }

 private:
  const PickleValue* ns_;
  std::string file_;
};

// The hyper-parameters as Megatron's arguments.py resolves them, in Hugging Face's terms.
ModelConfig config_from_args(const Args& a, const std::string& file) {
  ModelConfig c;
  c.source = file + ": args";
  c.num_layers = a.positive("num_layers");
  c.hidden_size = a.positive("hidden_size");
  c.num_heads = a.positive("num_attention_heads");
  c.num_kv_heads =
      a.flag("group_query_attention", false) ? a.positive("num_query_groups") : c.num_heads;
  if (c.num_heads % c.num_kv_heads != 0) {
    a.fail("num_query_groups", std::to_string(c.num_kv_heads) +
                                   " does not divide num_attention_heads " +
                                   std::to_string(c.num_heads));
  }
  if (a.get("kv_channels") == nullptr && c.hidden_size % c.num_heads != 0) {
    a.fail("num_attention_heads", std::to_string(c.num_heads) + " does not divide hidden_size " +
                                      std::to_string(c.hidden_size));
  }
  c.head_dim = a.positive("kv_channels", c.hidden_size / c.num_heads);
  c.intermediate_size = a.positive("ffn_hidden_size", 4 * c.hidden_size);
  // seq_length only when max_position_embeddings is absent (older args lack it).
  c.max_positions = a.get("max_position_embeddings") != nullptr
                        ? a.positive("max_position_embeddings")
                        : a.positive("seq_length");
  if (c.max_positions > limits::kPositionEmbeddings) {
    a.fail("max_position_embeddings", "value " + std::to_string(c.max_positions) +
                                          " exceeds the limit of " +
                                          std::to_string(limits::kPositionEmbeddings));
  }
  c.vocab_size = a.positive("padded_vocab_size");
  c.tie_word_embeddings = !a.flag("untie_embeddings_and_output_weights", false);
  c.norm_eps = a.real("norm_epsilon", a.real("layernorm_epsilon", 1e-5));
  if (a.flag("apply_residual_connection_post_layernorm", false))
    a.unsupported("apply_residual_connection_post_layernorm", "True is not supported");

  const bool swiglu = a.flag("swiglu", false);
  const std::string norm = a.text("normalization", "LayerNorm");
  // Older Megatron versions spell rotary embeddings as a flag.
  const std::string position =
      a.text("position_embedding_type",
             a.flag("use_rotary_position_embeddings", false) ? "rope" : "learned_absolute");
  if (swiglu && norm == "RMSNorm" && position == "rope") {
    c.architecture = Architecture::Llama;
    c.model_type = "llama";
    c.activation = "silu";
    c.rope_theta = a.real("rotary_base", 10000.0);
    if (c.rope_theta < limits::kMinRopeTheta) a.fail("rotary_base", "is below 1");
    if (a.real("rotary_percent", 1.0) != 1.0)
      a.unsupported("rotary_percent", "partial rotary embeddings are not supported");
    if (a.flag("use_rope_scaling", false))
      a.unsupported("use_rope_scaling", "True is not supported (only plain RoPE)");
    if (a.flag("add_bias_linear", true))
      a.unsupported("add_bias_linear", "biases are not supported in a LLaMA-style model");
    if (a.flag("add_qkv_bias", false))
      a.unsupported("add_qkv_bias", "biases are not supported in a LLaMA-style model");
  } else if (!swiglu && norm == "LayerNorm" && position == "learned_absolute") {
    c.architecture = Architecture::Gpt2;
    c.model_type = "gpt2";
    if (c.num_kv_heads != c.num_heads)
      a.unsupported("num_query_groups", "grouped-query attention in a GPT-2-style model");
    if (c.head_dim * c.num_heads != c.hidden_size)
      a.unsupported("kv_channels", "a GPT-2-style model needs heads x kv_channels = hidden_size");
    if (!a.flag("add_bias_linear", true))
      a.unsupported("add_bias_linear", "a GPT-2-style model without biases");
    // Megatron's fused bias-gelu and openai_gelu are the tanh approximation; plain F.gelu is erf.
    const bool tanh = a.flag("openai_gelu", false) || a.flag("bias_gelu_fusion", false);
    c.activation = tanh ? "gelu_new" : "gelu";
  } else {
    a.unsupported("swiglu", std::string("swiglu=") + (swiglu ? "True" : "False") +
                                " with normalization=" + norm +
                                " and position_embedding_type=" + position +
                                ": supported are LLaMA style (swiglu, RMSNorm, rope) and GPT-2 "
                                "style (gelu, LayerNorm, learned_absolute)");
  }
  return c;
}

// The role of one state-dict tensor: where it sits and what it is.
struct Role {
  int64_t layer = -1;  // -1: not in a layer
  std::string what;    // "embed", "positions", "head", "final_norm.weight", "qkv.weight", ...
};

// Per-layer suffixes of the legacy and Megatron-Core layouts (local and Transformer Engine).
constexpr std::array<std::pair<std::string_view, std::string_view>, 20> kLayerSuffixes{{
    {"input_layernorm.weight", "norm1.weight"},
    {"input_layernorm.bias", "norm1.bias"},
    {"input_norm.weight", "norm1.weight"},
    {"self_attention.linear_qkv.layer_norm_weight", "norm1.weight"},
    {"self_attention.linear_qkv.layer_norm_bias", "norm1.bias"},
    {"self_attention.query_key_value.weight", "qkv.weight"},
    {"self_attention.query_key_value.bias", "qkv.bias"},
    {"self_attention.linear_qkv.weight", "qkv.weight"},
    {"self_attention.linear_qkv.bias", "qkv.bias"},
    {"self_attention.dense.weight", "proj.weight"},
    {"self_attention.dense.bias", "proj.bias"},
    {"self_attention.linear_proj.weight", "proj.weight"},
    {"self_attention.linear_proj.bias", "proj.bias"},
    {"post_attention_layernorm.weight", "norm2.weight"},
    {"post_attention_layernorm.bias", "norm2.bias"},
    {"post_attention_norm.weight", "norm2.weight"},
    {"pre_mlp_layernorm.weight", "norm2.weight"},
    {"pre_mlp_layernorm.bias", "norm2.bias"},
    {"mlp.linear_fc1.layer_norm_weight", "norm2.weight"},
    {"mlp.linear_fc1.layer_norm_bias", "norm2.bias"},
}};
constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kMlpSuffixes{{
    {"mlp.dense_h_to_4h.weight", "fc1.weight"},
    {"mlp.dense_h_to_4h.bias", "fc1.bias"},
    {"mlp.linear_fc1.weight", "fc1.weight"},
    {"mlp.linear_fc1.bias", "fc1.bias"},
    {"mlp.dense_4h_to_h.weight", "fc2.weight"},
    {"mlp.dense_4h_to_h.bias", "fc2.bias"},
    {"mlp.linear_fc2.weight", "fc2.weight"},
    {"mlp.linear_fc2.bias", "fc2.bias"},
}};

std::optional<Role> role_of(std::string_view name) {
  if (name.starts_with("language_model.")) name.remove_prefix(15);
  if (name == "embedding.word_embeddings.weight") return Role{-1, "embed"};
  if (name == "embedding.position_embeddings.weight") return Role{-1, "positions"};
  if (name == "output_layer.weight") return Role{-1, "head"};
  for (std::string_view stack : {"encoder.", "transformer.", "decoder."}) {
    if (!name.starts_with(stack)) continue;
    std::string_view rest = name.substr(stack.size());
    for (std::string_view final_norm : {"final_layernorm.", "final_norm."}) {
      if (!rest.starts_with(final_norm)) continue;
      rest.remove_prefix(final_norm.size());
      if (rest == "weight" || rest == "bias") return Role{-1, "final_norm." + std::string(rest)};
      return std::nullopt;
    }
    if (!rest.starts_with("layers.")) return std::nullopt;
    rest.remove_prefix(7);
    const size_t dot = rest.find('.');
    if (dot == 0 || dot == std::string_view::npos || dot > 9) return std::nullopt;
    int64_t layer = 0;
    for (char ch : rest.substr(0, dot)) {
      if (ch < '0' || ch > '9') return std::nullopt;
      layer = layer * 10 + (ch - '0');
    }
    const std::string_view suffix = rest.substr(dot + 1);
    for (const auto& [s, what] : kLayerSuffixes)
      if (suffix == s) return Role{layer, std::string(what)};
    for (const auto& [s, what] : kMlpSuffixes)
      if (suffix == s) return Role{layer, std::string(what)};
    return std::nullopt;
  }
  return std::nullopt;
}

// Buffers that are not weights: RoPE's inverse frequencies follow from rotary_base, and
// Transformer Engine's FP8 metadata does not change the numbers computed here.
bool derived_buffer(std::string_view name) {
  return name.ends_with("inv_freq") || name.ends_with("_extra_state");
}

std::string role_key(const Role& r) {
  return r.layer < 0 ? r.what : std::to_string(r.layer) + "." + r.what;
}

// Builds the Hugging Face tensors from the roles found in the state dict.
class Mapper {
 public:
  Mapper(const ModelConfig& c, std::string file, MegatronCheckpoint& out)
      : c_(c), file_(std::move(file)), out_(out) {}

  void add(const Role& role, const TensorInfo& t) {
    const std::string key = role_key(role);
    const auto [it, inserted] = found_.emplace(key, t);
    if (!inserted) {
      throw bad_input(file_, "tensor " + printable_name(t.name),
                      "holds the same weight as " + printable_name(it->second.name));
    }
  }

  void map() {
    const int64_t h = c_.hidden_size, hd = c_.head_dim, np = c_.num_heads, ng = c_.num_kv_heads;
    const int64_t ffn = c_.intermediate_size, v = c_.vocab_size;
    const bool llama = c_.architecture == Architecture::Llama;
    if (llama) {
      view("embed", "model.embed_tokens.weight", {v, h});
      view("final_norm.weight", "model.norm.weight", {h});
    } else {
      view("embed", "transformer.wte.weight", {v, h});
      view("positions", "transformer.wpe.weight", {c_.max_positions, h});
      view("final_norm.weight", "transformer.ln_f.weight", {h});
      view("final_norm.bias", "transformer.ln_f.bias", {h});
    }
    if (!c_.tie_word_embeddings) view("head", "lm_head.weight", {v, h});
    for (int64_t l = 0; l < c_.num_layers; ++l) {
      const std::string n = std::to_string(l) + ".";
      if (llama) {
        const std::string p = "model.layers." + n;
        view(n + "norm1.weight", p + "input_layernorm.weight", {h});
        const TensorInfo& qkv = need(n + "qkv.weight", {(np + 2 * ng) * hd, h});
        // Per query group: its np/ng query heads, then its key head, then its value head.
        const int64_t per_group = np / ng;
        std::vector<std::pair<int64_t, int64_t>> q, k, vv;
        for (int64_t g = 0; g < ng; ++g) {
          const int64_t base = g * (per_group + 2) * hd;
          q.emplace_back(base, per_group * hd);
          k.emplace_back(base + per_group * hd, hd);
          vv.emplace_back(base + (per_group + 1) * hd, hd);
        }
        gather(qkv, p + "self_attn.q_proj.weight", q, h);
        gather(qkv, p + "self_attn.k_proj.weight", k, h);
        gather(qkv, p + "self_attn.v_proj.weight", vv, h);
        view(n + "proj.weight", p + "self_attn.o_proj.weight", {h, np * hd});
        view(n + "norm2.weight", p + "post_attention_layernorm.weight", {h});
        const TensorInfo& fc1 = need(n + "fc1.weight", {2 * ffn, h});
        slice(fc1, p + "mlp.gate_proj.weight", 0, {ffn, h});
        slice(fc1, p + "mlp.up_proj.weight", ffn, {ffn, h});
        view(n + "fc2.weight", p + "mlp.down_proj.weight", {h, ffn});
      } else {
        const std::string p = "transformer.h." + n;
        view(n + "norm1.weight", p + "ln_1.weight", {h});
        view(n + "norm1.bias", p + "ln_1.bias", {h});
        // Per head q, k, v (Megatron checkpoint_version >= 2) to q | k | v, as Conv1D [in, out].
        std::vector<std::pair<int64_t, int64_t>> order;
        for (int64_t part = 0; part < 3; ++part)
          for (int64_t head = 0; head < np; ++head) order.emplace_back((head * 3 + part) * hd, hd);
        const TensorInfo& qkv = need(n + "qkv.weight", {3 * h, h});
        transpose(gathered(qkv, qkv.name, order, h), p + "attn.c_attn.weight");
        gather(need(n + "qkv.bias", {3 * h}), p + "attn.c_attn.bias", order, 1);
        transpose(need(n + "proj.weight", {h, h}), p + "attn.c_proj.weight");
        view(n + "proj.bias", p + "attn.c_proj.bias", {h});
        view(n + "norm2.weight", p + "ln_2.weight", {h});
        view(n + "norm2.bias", p + "ln_2.bias", {h});
        transpose(need(n + "fc1.weight", {ffn, h}), p + "mlp.c_fc.weight");
        view(n + "fc1.bias", p + "mlp.c_fc.bias", {ffn});
        transpose(need(n + "fc2.weight", {h, ffn}), p + "mlp.c_proj.weight");
        view(n + "fc2.bias", p + "mlp.c_proj.bias", {h});
      }
    }
    // What the architecture did not use is a weight the arguments do not account for.
    for (const auto& [key, t] : found_) {
      if (!used_.count(key)) {
        throw bad_input(file_, "tensor " + printable_name(t.name),
                        "not used by a " + c_.model_type + "-style model with these arguments");
      }
    }
    std::sort(out_.tensors.begin(), out_.tensors.end(),
              [](const TensorInfo& a, const TensorInfo& b) { return a.name < b.name; });
  }

 private:
  const TensorInfo& need(const std::string& key, const Shape& shape) {
    const auto it = found_.find(key);
    if (it == found_.end()) {
      throw bad_input(file_, "model",
                      "no tensor for layer weight " + key + " (" + c_.model_type + " style, " +
                          std::to_string(c_.num_layers) + " layers)");
    }
    if (it->second.shape != shape) {
      throw bad_input(file_, "tensor " + printable_name(it->second.name),
                      "shape " + shape_string(it->second.shape) + " but the arguments give " +
                          shape_string(shape));
    }
    used_.insert(key);
    return it->second;
  }
  void view(const std::string& key, const std::string& hf_name, const Shape& shape) {
    TensorInfo t = need(key, shape);
    t.name = hf_name;
    out_.tensors.push_back(std::move(t));
  }
  // Rows [first, first + shape[0]) of a row-major matrix: a view.
  void slice(const TensorInfo& t, const std::string& hf_name, int64_t first, const Shape& shape) {
    const size_t row = static_cast<size_t>(shape[1]) * dtype_size(t.dtype);
    TensorInfo s = t;
    s.name = hf_name;
    s.shape = shape;
    s.data = t.data + static_cast<size_t>(first) * row;
    s.nbytes = static_cast<size_t>(shape[0]) * row;
    out_.tensors.push_back(std::move(s));
  }
  std::byte* own(size_t nbytes) {
    auto buffer = std::make_shared<std::vector<std::byte>>(nbytes);
    std::byte* data = buffer->data();
    out_.owned.push_back(std::move(buffer));
    return data;
  }
  // The listed row ranges of `t` (rows of `cols` elements), concatenated: a copy.
  TensorInfo gathered(const TensorInfo& t, const std::string& hf_name,
                      const std::vector<std::pair<int64_t, int64_t>>& ranges, int64_t cols) {
    const size_t row = static_cast<size_t>(cols) * dtype_size(t.dtype);
    int64_t rows = 0;
    for (const auto& [first, count] : ranges) rows += count;
    std::byte* data = own(static_cast<size_t>(rows) * row);
    size_t at = 0;
    for (const auto& [first, count] : ranges) {
      std::memcpy(data + at, t.data + static_cast<size_t>(first) * row,
                  static_cast<size_t>(count) * row);
      at += static_cast<size_t>(count) * row;
    }
    TensorInfo g = t;
    g.name = hf_name;
    g.shape = t.shape.size() == 1 ? Shape{rows} : Shape{rows, cols};
    g.data = data;
    g.nbytes = at;
    return g;
  }
  void gather(const TensorInfo& t, const std::string& hf_name,
              const std::vector<std::pair<int64_t, int64_t>>& ranges, int64_t cols) {
    out_.tensors.push_back(gathered(t, hf_name, ranges, cols));
  }
  // [rows, cols] to [cols, rows]: GPT-2's Conv1D layout.
  void transpose(const TensorInfo& t, const std::string& hf_name) {
    const size_t rows = static_cast<size_t>(t.shape[0]), cols = static_cast<size_t>(t.shape[1]);
    const size_t e = dtype_size(t.dtype);
    std::byte* data = own(t.nbytes);
    for (size_t r = 0; r < rows; ++r)
      for (size_t col = 0; col < cols; ++col)
        std::memcpy(data + (col * rows + r) * e, t.data + (r * cols + col) * e, e);
    TensorInfo out = t;
    out.name = hf_name;
    out.shape = {t.shape[1], t.shape[0]};
    out.data = data;
    out_.tensors.push_back(std::move(out));
  }

  const ModelConfig& c_;
  std::string file_;
  MegatronCheckpoint& out_;
  std::map<std::string, TensorInfo> found_;
  std::set<std::string> used_;
};

}  // namespace

UnpicklePolicy megatron_unpickle_policy() {
  UnpicklePolicy policy;
  policy.plain_data_classes = {"argparse.Namespace",
                               "_codecs.encode",
                               "_io.BytesIO",
                               "builtins.set",
                               "builtins.frozenset",
                               "builtins.slice",
                               "torch.float32",
                               "torch.float16",
                               "torch.bfloat16",
                               "torch.float64",
                               "torch.Size",
                               "torch.device",
                               "torch._utils._rebuild_parameter"};
  policy.plain_data_prefixes = {"numpy.", "megatron.", "transformer_engine."};
  return policy;
}

std::optional<fs::path> find_megatron_file(const fs::path& dir) {
  std::error_code ec;
  if (fs::is_regular_file(dir / kModelFile, ec)) return dir / kModelFile;
  if (fs::exists(dir / "mp_rank_00_000", ec)) {
    throw Error(ErrorKind::Unsupported,
                dir.string() +
                    ": mp_rank_00_000: pipeline-parallel Megatron checkpoints are not "
                    "supported (convert to pipeline parallel 1)");
  }
  if (!fs::is_regular_file(dir / "mp_rank_00" / kModelFile, ec)) {
    if (fs::exists(dir / ".metadata", ec) && fs::exists(dir / "common.pt", ec)) {
      throw Error(ErrorKind::Unsupported,
                  dir.string() +
                      ": a distributed (torch_dist) Megatron checkpoint is not "
                      "supported (save with --ckpt-format torch)");
    }
    return std::nullopt;
  }
  if (fs::exists(dir / "mp_rank_01", ec)) {
    throw Error(ErrorKind::Unsupported,
                dir.string() +
                    ": mp_rank_01: tensor-parallel Megatron checkpoints are not "
                    "supported (convert to tensor parallel 1)");
  }
  return dir / "mp_rank_00" / kModelFile;
}

MegatronCheckpoint open_megatron(const fs::path& model_file,
                                 const std::optional<ModelConfig>& config) {
  const std::string file = model_file.string();
  MegatronCheckpoint out;
  out.file = TorchCheckpointFile::open(model_file, megatron_unpickle_policy(), "model");
  const PickleValue& root = out.file->root();
  if (const PickleValue* it = root.find("iteration"); it != nullptr && it->is(Kind::Int))
    out.iteration = it->integer;
  // Version 1.0 fused QKV as [heads, head_dim, 3]; every Megatron since 2020 writes 2.0 or 3.0.
  if (const PickleValue* v = root.find("checkpoint_version"); v != nullptr) {
    const double version = v->is(Kind::Float) ? v->real
                           : v->is(Kind::Int) ? static_cast<double>(v->integer)
                                              : 0.0;
    if (version < 2.0) {
      throw Error(ErrorKind::Unsupported,
                  file + ": checkpoint_version: " + std::to_string(version) +
                      " is not supported (2.0 or later: QKV fused per head as q, k, v)");
    }
  }
  if (config) {
    out.config = *config;
  } else {
    const PickleValue* args = root.find("args");
    if (args != nullptr && !args->is(Kind::Object))
      throw bad_input(file, "args", "is not an argparse.Namespace");
    out.config = config_from_args(Args(args, file), file);
  }

  Mapper mapper(out.config, file, out);
  for (const TensorInfo& t : out.file->tensors()) {
    if (derived_buffer(t.name)) continue;
    const auto role = role_of(t.name);
    if (!role) {
      throw bad_input(file, "tensor model." + printable_name(t.name),
                      "not a weight of a Megatron GPT or LLaMA model");
    }
    if (role->layer >= out.config.num_layers) {
      throw bad_input(file, "tensor model." + printable_name(t.name),
                      "layer " + std::to_string(role->layer) + " but the model has " +
                          std::to_string(out.config.num_layers) + " layers");
    }
    mapper.add(*role, t);
  }
  for (const UnsupportedTensor& t : out.file->unsupported()) {
    // Non-tensor values (None, Transformer Engine's extra state) carry no weights; a tensor
    // dtype is upper case ("I64"), a Python kind is not ("None", "object", "bytes").
    const bool tensor =
        t.dtype != "None" && !t.dtype.empty() && t.dtype[0] >= 'A' && t.dtype[0] <= 'Z';
    if (!tensor || derived_buffer(t.name)) continue;
    throw Error(ErrorKind::Unsupported, file + ": tensor model." + printable_name(t.name) +
                                            ": dtype " + t.dtype + " is not supported");
  }
  mapper.map();
  return out;
}

}  // namespace tb
