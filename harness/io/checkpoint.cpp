#include "harness/io/checkpoint.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <set>

#include <nlohmann/json.hpp>

#include "harness/core/error.hpp"
#include "harness/io/json_file.hpp"

namespace tb {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSingleFile = "model.safetensors";
constexpr const char* kIndexFile = "model.safetensors.index.json";

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

// The shards of an index, each opened once, and the tensor -> shard map it declares.
std::vector<std::shared_ptr<const SafetensorsFile>> open_index(
    const fs::path& dir, std::map<std::string, std::string>& shard_of) {
  const fs::path index_path = dir / kIndexFile;
  const std::string index_file = index_path.string();
  const nlohmann::json index = read_json_file(index_path);
  const auto map_it = index.find("weight_map");
  if (map_it == index.end()) throw bad_input(index_file, "weight_map", "missing");
  if (!map_it->is_object()) {
    throw bad_input(index_file, "weight_map",
                    "must be an object, found " + json_type_name(*map_it));
  }
  if (map_it->empty()) throw bad_input(index_file, "weight_map", "is empty");

  std::map<std::string, std::shared_ptr<const SafetensorsFile>> shards;
  for (const auto& [tensor, shard] : map_it->items()) {
    if (!shard.is_string()) {
      throw bad_input(index_file, "weight_map." + printable_name(tensor),
                      "must be a shard file name, found " + json_type_name(shard));
    }
    const std::string shard_name = shard.get<std::string>();
    shard_of[tensor] = shard_name;
    if (shards.count(shard_name)) continue;
    const fs::path path = shard_path(dir, index_file, tensor, shard_name);
    try {
      shards[shard_name] = SafetensorsFile::open(path);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::Io) throw;
      throw Error(ErrorKind::Io, std::string(e.what()) + " (shard of tensor " +
                                     printable_name(tensor) + " in " + index_file + ")");
    }
  }
  std::vector<std::shared_ptr<const SafetensorsFile>> files;
  for (auto& [name, file] : shards) files.push_back(std::move(file));
  return files;
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

Checkpoint Checkpoint::open(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw Error(ErrorKind::Io, dir.string() + ": not a checkpoint directory (" +
                                   (fs::exists(dir, ec) ? "not a directory" : "does not exist") +
                                   ")");
  }
  Checkpoint ckpt;
  ckpt.dir_ = dir;
  ckpt.config_ = load_model_config(dir / "config.json");

  // Same preference as transformers: the single file first, then the sharded index.
  std::map<std::string, std::string> shard_of;  // from the index, empty for a single file
  if (fs::exists(dir / kSingleFile, ec)) {
    ckpt.files_.push_back(SafetensorsFile::open(dir / kSingleFile));
  } else if (fs::exists(dir / kIndexFile, ec)) {
    ckpt.files_ = open_index(dir, shard_of);
  } else if (fs::exists(dir / "pytorch_model.bin", ec) ||
             fs::exists(dir / "pytorch_model.bin.index.json", ec)) {
    throw Error(ErrorKind::Unsupported,
                dir.string() +
                    ": pytorch_model.bin checkpoints are not supported; convert them "
                    "to safetensors");
  } else {
    throw Error(ErrorKind::Io, dir.string() + ": no " + kSingleFile + " or " + kIndexFile);
  }

  const std::string index_file = (dir / kIndexFile).string();
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
  for (const auto& file : ckpt.files_) {
    for (const TensorInfo& info : file->tensors()) {
      claim(info.name, info.file);
      ckpt.tensors_.emplace(info.name, info);
    }
    for (const UnsupportedTensor& info : file->unsupported()) {
      claim(info.name, info.file);
      ckpt.unsupported_.emplace(info.name, info);
    }
  }
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
  for (const auto& file : files_) {
    const std::string name = file->path().filename().string();
    const uint64_t size = file->file_size();
    hash = fnv1a(hash, name.data(), name.size() + 1);  // with the NUL as a separator
    hash = fnv1a(hash, &size, sizeof size);
    hash = fnv1a(hash, file->header().data(), file->header().size());
    const std::byte* data = file->data_section();
    const size_t data_size = file->data_size();
    if (data_size <= kBlock * kBlocks) {
      hash = fnv1a(hash, data, data_size);
      continue;
    }
    // Fixed stride: the same blocks for the same file size, wherever the file lives.
    const size_t stride = data_size / kBlocks;
    for (size_t i = 0; i < kBlocks; ++i) hash = fnv1a(hash, data + i * stride, kBlock);
    hash = fnv1a(hash, data + data_size - kBlock, kBlock);
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
  return hex;
}

}  // namespace tb
