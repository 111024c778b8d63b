#pragma once
// A Hugging Face checkpoint directory: config.json plus safetensors weights, single file
// (model.safetensors) or sharded (model.safetensors.index.json), or else torch.save weights
// (pytorch_model.bin or pytorch_model.bin.index.json). Files are mmap'd; tensors are views
// into the mapping and stay valid while the Checkpoint lives.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/core/dtype.hpp"
#include "harness/core/tensor.hpp"
#include "harness/io/model_config.hpp"
#include "harness/io/safetensors_file.hpp"  // TensorInfo
#include "harness/io/torch_checkpoint_file.hpp"

namespace tb {

class Checkpoint {
 public:
  // Opens and validates every header of the directory's weight files. `config_file`, when
  // given, is read instead of DIR/config.json. A Megatron-LM checkpoint (DIR/mp_rank_00/
  // model_optim_rng.pt, harness/io/megatron_checkpoint.hpp) is presented as the Hugging Face
  // checkpoint its conversion would give, its config from the pickled args unless a config.json
  // is there or given. Throws tb::Error naming the file and the tensor or field on any
  // inconsistency.
  static Checkpoint open(const std::filesystem::path& dir,
                         const std::filesystem::path& config_file = {});

  const std::filesystem::path& dir() const { return dir_; }
  const ModelConfig& config() const { return config_; }
  // The config as JSON: the config.json read, or the one hf_config_json writes for a Megatron
  // checkpoint's args. What a run records.
  const nlohmann::json& config_json() const { return config_json_; }
  // The file the config came from, for messages: ".../config.json" or ".../model_optim_rng.pt".
  std::string config_source() const { return config_.source; }
  bool has(const std::string& name) const { return tensors_.count(name) != 0; }
  // The tensor, or tb::Error "<dir>: tensor <name>: missing" (BadInput), or Unsupported
  // "<file>: tensor <name>: dtype I64 is not supported" for a tensor of another dtype.
  const TensorInfo& tensor(const std::string& name) const;
  // The tensor with an expected shape, or tb::Error naming its file, the tensor and both shapes.
  const TensorInfo& require(const std::string& name, const Shape& shape) const;
  // Names of the tensors with a supported dtype (F32, F16, BF16), sorted.
  std::vector<std::string> names() const;
  // Widens a tensor to a host f32 tensor.
  Tensor load_f32(const std::string& name, const Shape& shape) const;
  // The tensor in its stored dtype: a read-only view of the mapping that keeps its file mapped,
  // or an aligned copy when the file places it at an offset its dtype cannot be read from.
  Tensor view(const std::string& name, const Shape& shape) const;
  // A 64-bit FNV-1a hash of the weights as 16 hex digits: every shard's file name, size and
  // header, plus sampled 64 KiB blocks of its data section (all of it up to 16 MiB, else 256
  // blocks at a fixed stride and the last block). Cheap on 7B models, and changes whenever a
  // header or, with high probability, the weights change. Depends on how the files are sharded.
  std::string content_hash() const;

  // Replaces tensor `name` (kept shape) by f32 values this Checkpoint owns from now on: how an
  // adapter merge (harness/model/lora_merge.hpp) presents merged weights to the model builders.
  void replace_with_f32(const std::string& name, std::vector<float> values);
  // Adds a component to content_hash() (an adapter's content hash), so that a run's identity
  // follows it; a Checkpoint without any hashes as before.
  void add_identity(const std::string& identity) { identities_.push_back(identity); }

 private:
  std::filesystem::path dir_;
  ModelConfig config_;
  std::map<std::string, TensorInfo> tensors_;
  std::map<std::string, UnsupportedTensor> unsupported_;
  std::vector<std::shared_ptr<const SafetensorsFile>> files_;  // keeps the mappings alive
  std::vector<std::shared_ptr<const TorchCheckpointFile>> torch_files_;
  nlohmann::json config_json_;
  std::vector<std::shared_ptr<const void>> owned_;  // replaced or converted tensors' data
  std::vector<std::string> identities_;
};

}  // namespace tb
