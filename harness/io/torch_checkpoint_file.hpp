#pragma once
// One torch.save file (pytorch_model.bin, a .pt): the zip container, its data.pkl read with the
// restricted unpickler, and the tensors of the state dict it holds as TensorInfo views into the
// file's mapping (torch stores tensor bytes uncompressed), exactly as SafetensorsFile presents
// a safetensors file. The pre-1.6 (non-zip) torch.save format is refused.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "harness/io/safetensors_file.hpp"  // TensorInfo, UnsupportedTensor
#include "harness/io/torch_pickle.hpp"
#include "harness/io/zip_archive.hpp"

namespace tb {

class TorchCheckpointFile {
 public:
  // Opens `path` and resolves the state dict: the top-level dict of the pickle, or, when
  // `state_dict_key` is given, the dict under that key (Megatron-LM's "model"). Nested dicts of
  // tensors are flattened with "." as Hugging Face's names are. Throws tb::Error: Io, BadInput
  // ("FILE: entry ARCHIVE/data.pkl: pickle: global os.system is not allowed ...").
  static std::shared_ptr<const TorchCheckpointFile> open(const std::filesystem::path& path,
                                                         const UnpicklePolicy& policy = {},
                                                         const std::string& state_dict_key = "");

  const std::filesystem::path& path() const { return archive_->path(); }
  const ZipArchive& archive() const { return *archive_; }
  // The unpickled root value (for readers that need more than the tensors: Megatron's args).
  const PickleValue& root() const { return *root_; }
  // The data.pkl bytes (part of the content hash).
  std::string_view pickle_bytes() const { return archive_->bytes(pickle_entry_); }

  // Tensors with a supported dtype (F32, F16, BF16), sorted by name.
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  // Tensors of other dtypes (I64, BOOL, ...) and non-tensor entries ("object").
  const std::vector<UnsupportedTensor>& unsupported() const { return unsupported_; }

 private:
  TorchCheckpointFile() = default;
  void add_tensors(const PickleValue& dict, const std::string& prefix, const std::string& where,
                   int depth);
  void add_tensor(const std::string& name, const PickleTensor& t, const std::string& where);

  std::shared_ptr<const ZipArchive> archive_;
  std::string pickle_entry_;  // "<archive>/data.pkl"
  std::string prefix_;        // "<archive>/"
  PickleRef root_;
  std::vector<TensorInfo> tensors_;
  std::vector<UnsupportedTensor> unsupported_;
};

}  // namespace tb
