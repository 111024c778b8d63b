#pragma once
// A Hugging Face checkpoint directory: config.json plus safetensors weights, single file
// (model.safetensors) or sharded (model.safetensors.index.json). Files are mmap'd; tensors
// are views into the mapping and stay valid while the Checkpoint lives.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "harness/core/dtype.hpp"
#include "harness/core/tensor.hpp"
#include "harness/io/model_config.hpp"

namespace tb {

struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  Shape shape;
  const std::byte* data = nullptr;  // inside the mapping of `file`
  size_t nbytes = 0;
  std::string file;  // the safetensors file that holds it, for messages
};

class Checkpoint {
 public:
  // Opens and validates every header of the directory's weight files. Throws tb::Error naming
  // the file and the tensor or field on any inconsistency.
  static Checkpoint open(const std::filesystem::path& dir);

  const std::filesystem::path& dir() const { return dir_; }
  const ModelConfig& config() const { return config_; }
  bool has(const std::string& name) const { return tensors_.count(name) != 0; }
  // The tensor, or tb::Error "<dir>: tensor <name>: missing".
  const TensorInfo& tensor(const std::string& name) const;
  // The tensor with an expected shape, or tb::Error naming its file, the tensor and both shapes.
  const TensorInfo& require(const std::string& name, const Shape& shape) const;
  std::vector<std::string> names() const;
  // Widens a tensor to a host f32 tensor.
  Tensor load_f32(const std::string& name, const Shape& shape) const;

 private:
  std::filesystem::path dir_;
  ModelConfig config_;
  std::map<std::string, TensorInfo> tensors_;
  std::vector<std::shared_ptr<void>> mappings_;  // keeps the mmap'd files alive
};

}  // namespace tb
