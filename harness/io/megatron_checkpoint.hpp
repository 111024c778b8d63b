#pragma once
// Megatron-LM checkpoints as Hugging Face tensors: `iter_NNNNNNN/mp_rank_00/model_optim_rng.pt`
// (tensor and pipeline parallel 1), in the legacy layout (`model.language_model.encoder.layers.N.
// self_attention.query_key_value`, `mlp.dense_h_to_4h`) or Megatron-Core's (`model.decoder.
// layers.N.self_attention.linear_qkv`, `mlp.linear_fc1`, local or Transformer Engine norms).
// The hyper-parameters come from the pickled `args` (an argparse.Namespace read as plain data,
// never instantiated) unless a config.json is given. The weights are presented under the names
// and in the layouts that Megatron's and Hugging Face's conversion scripts produce:
//  - LLaMA style (swiglu, RMSNorm, rope): the fused QKV is split per query group (each group's
//    query heads, then its key head, then its value head) into q_proj/k_proj/v_proj; the fused
//    fc1 holds gate then up; no biases.
//  - GPT-2 style (gelu, LayerNorm, learned positions): the fused QKV (per head: q, k, v) is
//    reordered to q|k|v and, like every GPT-2 linear, transposed to Conv1D's [in, out].
// Split and transposed tensors are copies; the others are views into the file's mapping.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/io/model_config.hpp"
#include "harness/io/safetensors_file.hpp"  // TensorInfo
#include "harness/io/torch_checkpoint_file.hpp"

namespace tb {

struct MegatronCheckpoint {
  std::shared_ptr<const TorchCheckpointFile> file;
  ModelConfig config;
  std::vector<TensorInfo> tensors;                 // Hugging Face names, sorted
  std::vector<std::shared_ptr<const void>> owned;  // the copies' bytes
  int64_t iteration = -1;                          // the checkpoint's "iteration", -1 if none
};

// What Megatron checkpoints pickle besides tensors, kept as inert values: args, numpy RNG state,
// torch dtypes, enums, Transformer Engine's extra state. Everything else is still refused.
UnpicklePolicy megatron_unpickle_policy();

// The model_optim_rng.pt of `dir` (the directory itself or its mp_rank_00/), or nullopt when
// `dir` is not a Megatron checkpoint. Throws Unsupported for tensor or pipeline parallel
// checkpoints (mp_rank_01/, mp_rank_00_000/) and for distributed (torch_dist) ones.
std::optional<std::filesystem::path> find_megatron_file(const std::filesystem::path& dir);

// Opens `model_file` and maps its state dict. `config`, when given, replaces what `args` says.
// Throws tb::Error naming the file and the argument or tensor: BadInput for a missing or
// inconsistent one, Unsupported for an architecture variant tunebench does not compute.
MegatronCheckpoint open_megatron(const std::filesystem::path& model_file,
                                 const std::optional<ModelConfig>& config);

}  // namespace tb
