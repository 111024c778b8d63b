#include "harness/io/checkpoint.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <set>

#include <nlohmann/json.hpp>

#include "harness/core/error.hpp"
#include "harness/io/json_file.hpp"
#include "harness/io/megatron_checkpoint.hpp"
#include "harness/io/torch_checkpoint_file.hpp"

namespace tb {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSingleFile = "model.safetensors";
constexpr const char* kIndexFile = "model.safetensors.index.json";
constexpr const char* kTorchFile = "pytorch_model.bin";
constexpr const char* kTorchIndexFile = "pytorch_model.bin.index.json";

// Shard names come from a file we do not trust: keep them inside the checkpoint directory.
fs::path shard_path(const fs::path& dir, const std::string& index_file, const std::string& tensor,
                    const std::string& shard) {
  const fs::path relative(shard);
  bool escapes = shard.empty() || relative.is_absolute() || printable_name(shard) != shard;
  for (const auto& part : relative) escapes = escapes || part == "..";
  if (escapes) {
    throw bad_input(
        index_file, "weight_map." + printable_name(tensor),
        "shard '" + printable_name(shard) + "' is not a file name inside the checkpoint directory");
  }
  return dir / relative;
}

// The shards an index names, each once (with a tensor it holds, for messages), and the tensor ->
// shard map it declares.
std::vector<std::pair<fs::path, std::string>> read_index(
    const fs::path& dir, const fs::path& index_path, std::map<std::string, std::string>& shard_of) {
  const std::string index_file = index_path.string();
  const nlohmann::json index = read_json_file(index_path);
  const auto map_it = index.find("weight_map");
  if (map_it == index.end()) throw bad_input(index_file, "weight_map", "missing");
  if (!map_it->is_object()) {
    throw bad_input(index_file, "weight_map",
                    "must be an object, found " + json_type_name(*map_it));
  }
  if (map_it->empty()) throw bad_input(index_file, "weight_map", "is empty");

  std::map<std::string, std::pair<fs::path, std::string>> shards;
  for (const auto& [tensor, shard] : map_it->items()) {
    if (!shard.is_string()) {
      throw bad_input(index_file, "weight_map." + printable_name(tensor),
                      "must be a shard file name, found " + json_type_name(shard));
    }
    const std::string shard_name = shard.get<std::string>();
    shard_of[tensor] = shard_name;
    if (shards.count(shard_name)) continue;
    shards[shard_name] = {shard_path(dir, index_file, tensor, shard_name), tensor};
  }
  std::vector<std::pair<fs::path, std::string>> out;
  for (auto& [name, shard] : shards) out.push_back(std::move(shard));
  return out;
}

// Opens one shard; a missing or unreadable one names the index that lists it.
template <typename Open>
auto open_shard(const fs::path& path, const std::string& tensor, const fs::path& index, Open open) {
  try {
    return open(path);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::Io) throw;
    throw Error(ErrorKind::Io, std::string(e.what()) + " (shard of tensor " +
                                   printable_name(tensor) + " in " + index.string() + ")");
  }
}

uint64_t fnv1a(uint64_t hash, const void* data, size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) {
    hash ^= bytes[i];
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

}  // namespace

Checkpoint Checkpoint::open(const fs::path& dir, const fs::path& config_file) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw Error(ErrorKind::Io, dir.string() + ": not a checkpoint directory (" +
                                   (fs::exists(dir, ec) ? "not a directory" : "does not exist") +
                                   ")");
  }
  Checkpoint ckpt;
  ckpt.dir_ = dir;
  const fs::path config_path = config_file.empty() ? dir / "config.json" : config_file;
  const bool hf_weights = fs::exists(dir / kSingleFile, ec) || fs::exists(dir / kIndexFile, ec) ||
                          fs::exists(dir / kTorchFile, ec) || fs::exists(dir / kTorchIndexFile, ec);
  if (!hf_weights) {
    if (const auto megatron_file = find_megatron_file(dir)) {
      std::optional<ModelConfig> config;
      if (!config_file.empty() || fs::exists(config_path, ec))
        config = load_model_config(config_path);
      MegatronCheckpoint m = open_megatron(*megatron_file, config);
      ckpt.config_ = m.config;
      ckpt.config_json_ = config ? read_json_file(config_path) : hf_config_json(m.config);
      for (const TensorInfo& t : m.tensors) ckpt.tensors_.emplace(t.name, t);
      ckpt.torch_files_.push_back(std::move(m.file));
      for (auto& buffer : m.owned) ckpt.owned_.push_back(std::move(buffer));
      return ckpt;
    }
    // A Megatron-LM save directory holds one iter_N per save, not the weights themselves.
    if (fs::exists(dir / "latest_checkpointed_iteration.txt", ec) && !fs::exists(config_path, ec)) {
      throw bad_input(dir.string(), "latest_checkpointed_iteration.txt",
                      "a Megatron-LM save directory: pass one of its iter_N directories (or "
                      "sweep over it)");
    }
  }
  ckpt.config_ = load_model_config(config_path);
  ckpt.config_json_ = read_json_file(config_path);

  // Same preference as transformers: safetensors first, each as a single file, then sharded.
  std::map<std::string, std::string> shard_of;  // from the index, empty for a single file
  fs::path index_path;
  if (fs::exists(dir / kSingleFile, ec)) {
    ckpt.files_.push_back(SafetensorsFile::open(dir / kSingleFile));
  } else if (fs::exists(dir / kIndexFile, ec)) {
    index_path = dir / kIndexFile;
    for (const auto& [path, tensor] : read_index(dir, index_path, shard_of)) {
      ckpt.files_.push_back(open_shard(path, tensor, index_path, SafetensorsFile::open));
    }
  } else if (fs::exists(dir / kTorchFile, ec)) {
    ckpt.torch_files_.push_back(TorchCheckpointFile::open(dir / kTorchFile));
  } else if (fs::exists(dir / kTorchIndexFile, ec)) {
    index_path = dir / kTorchIndexFile;
    for (const auto& [path, tensor] : read_index(dir, index_path, shard_of)) {
      ckpt.torch_files_.push_back(open_shard(path, tensor, index_path, [](const fs::path& p) {
        return TorchCheckpointFile::open(p);
      }));
    }
  } else {
    throw Error(ErrorKind::Io, dir.string() + ": no " + kSingleFile + ", " + kIndexFile + ", " +
                                   kTorchFile + ", " + kTorchIndexFile +
                                   " or mp_rank_00/model_optim_rng.pt (Megatron-LM)");
  }

  const std::string index_file = index_path.string();
  std::map<std::string, std::string> file_of;  // tensor -> file that holds it
  auto claim = [&](const std::string& name, const std::string& file) {
    const auto [it, inserted] = file_of.emplace(name, file);
    if (!inserted) {
      throw bad_input(file, "tensor " + printable_name(name), "also present in " + it->second);
    }
    if (!shard_of.empty()) {
      const auto listed = shard_of.find(name);
      if (listed == shard_of.end()) {
        throw bad_input(file, "tensor " + printable_name(name),
                        "not listed in the weight_map of " + index_file);
      }
      if ((dir / listed->second).string() != file) {
        throw bad_input(
            file, "tensor " + printable_name(name),
            "the weight_map of " + index_file + " places it in " + printable_name(listed->second));
      }
    }
  };
  auto add = [&](const auto& file) {
    for (const TensorInfo& info : file->tensors()) {
      claim(info.name, info.file);
      ckpt.tensors_.emplace(info.name, info);
    }
    for (const UnsupportedTensor& info : file->unsupported()) {
      claim(info.name, info.file);
      ckpt.unsupported_.emplace(info.name, info);
    }
  };
  for (const auto& file : ckpt.files_) add(file);
  for (const auto& file : ckpt.torch_files_) add(file);
  for (const auto& [name, shard] : shard_of) {
    if (!file_of.count(name)) {
      throw bad_input(
          index_file, "weight_map." + printable_name(name),
          "tensor " + printable_name(name) + " is missing from shard " + printable_name(shard));
    }
  }
  return ckpt;
}

const TensorInfo& Checkpoint::tensor(const std::string& name) const {
  const auto it = tensors_.find(name);
  if (it != tensors_.end()) return it->second;
  const auto other = unsupported_.find(name);
  if (other != unsupported_.end()) {
    throw Error(ErrorKind::Unsupported, other->second.file + ": tensor " + printable_name(name) +
                                            ": dtype " + other->second.dtype +
                                            " is not supported (supported: F32, F16, BF16)");
  }
  throw bad_input(dir_.string(), "tensor " + printable_name(name), "missing");
}

const TensorInfo& Checkpoint::require(const std::string& name, const Shape& shape) const {
  const TensorInfo& info = tensor(name);
  if (info.shape != shape) {
    throw bad_input(
        info.file, "tensor " + printable_name(name),
        "shape " + shape_string(info.shape) + " but the model needs " + shape_string(shape));
  }
  return info;
}

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> out;
  out.reserve(tensors_.size());
  for (const auto& [name, info] : tensors_) out.push_back(name);
  return out;
}

Tensor Checkpoint::load_f32(const std::string& name, const Shape& shape) const {
  const TensorInfo& info = require(name, shape);
  Tensor out = Tensor::zeros(shape, DType::F32);
  const auto count = static_cast<size_t>(shape_numel(shape));
  if (count != 0) convert_to_f32(info.data, info.dtype, count, out.data_as<float>());
  return out;
}

Tensor Checkpoint::view(const std::string& name, const Shape& shape) const {
  const TensorInfo& info = require(name, shape);
  const auto address = reinterpret_cast<uintptr_t>(info.data);
  if (info.nbytes == 0 || address % dtype_size(info.dtype) != 0) {
    Tensor copy = Tensor::zeros(shape, info.dtype);
    if (info.nbytes) std::memcpy(copy.data(), info.data, info.nbytes);
    return copy;
  }
  std::shared_ptr<const SafetensorsFile> owner;
  for (const auto& file : files_) {
    if (file->path().string() == info.file) owner = file;
  }
  // Weights are never written through a view; the mapping is read-only.
  return Tensor::view(const_cast<std::byte*>(info.data), shape, info.dtype, Device::Cpu,
                      std::const_pointer_cast<SafetensorsFile>(owner));
}

std::string Checkpoint::content_hash() const {
  constexpr size_t kBlock = 64 * 1024;
  constexpr size_t kBlocks = 256;
  uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a 64 offset basis
  // Per file: its name, size and header (a torch file's pickle), then its data sampled.
  auto add = [&](const fs::path& path, uint64_t size, std::string_view header,
                 const std::byte* data, size_t data_size) {
    const std::string name = path.filename().string();
    hash = fnv1a(hash, name.data(), name.size() + 1);  // with the NUL as a separator
    hash = fnv1a(hash, &size, sizeof size);
    hash = fnv1a(hash, header.data(), header.size());
    if (data_size <= kBlock * kBlocks) {
      hash = fnv1a(hash, data, data_size);
      return;
    }
    // Fixed stride: the same blocks for the same file size, wherever the file lives.
    const size_t stride = data_size / kBlocks;
    for (size_t i = 0; i < kBlocks; ++i) hash = fnv1a(hash, data + i * stride, kBlock);
    hash = fnv1a(hash, data + data_size - kBlock, kBlock);
  };
  for (const auto& file : files_) {
    add(file->path(), file->file_size(), file->header(), file->data_section(), file->data_size());
  }
  for (const auto& file : torch_files_) {
    const ZipArchive& zip = file->archive();
    add(zip.path(), zip.file_size(), file->pickle_bytes(), zip.file_data(), zip.file_size());
  }
  for (const std::string& identity : identities_)
    hash = fnv1a(hash, identity.data(), identity.size() + 1);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
  return hex;
}

void Checkpoint::replace_with_f32(const std::string& name, std::vector<float> values) {
  const auto it = tensors_.find(name);
  if (it == tensors_.end()) tensor(name);  // throws: missing or of an unsupported dtype
  TensorInfo& info = it->second;
  if (values.size() != static_cast<size_t>(shape_numel(info.shape))) {
    throw Error(ErrorKind::Internal, "replace_with_f32: " + name + ": wrong element count");
  }
  auto owned = std::make_shared<const std::vector<float>>(std::move(values));
  info.dtype = DType::F32;
  info.data = reinterpret_cast<const std::byte*>(owned->data());
  info.nbytes = owned->size() * sizeof(float);
  owned_.push_back(std::move(owned));
}

}  // namespace tb
