#pragma once
// One .safetensors file, mmap'd read-only and validated completely when opened: afterwards every
// tensor's shape, dtype and byte range are known to be consistent and inside the mapping.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/dtype.hpp"
#include "harness/core/tensor.hpp"

namespace tb {

struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  Shape shape;
  const std::byte* data = nullptr;  // inside the mapping of `file`
  size_t nbytes = 0;
  std::string file;  // the safetensors file that holds it, for messages
};

// A tensor whose safetensors dtype is valid but not one tunebench computes with (I64, BOOL,
// F64, ...). Its byte range was validated; using it is an ErrorKind::Unsupported error.
struct UnsupportedTensor {
  std::string name;
  std::string dtype;  // as written in the header: "I64"
  std::string file;
};

class SafetensorsFile {
 public:
  // Maps and validates `path`. Throws tb::Error: Io (cannot open, empty, not a regular file),
  // BadInput ("FILE: header: what" or "FILE: tensor NAME: what").
  static std::shared_ptr<const SafetensorsFile> open(const std::filesystem::path& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::filesystem::path& path() const { return path_; }
  size_t file_size() const { return size_; }
  // The JSON header exactly as stored (including any trailing padding).
  std::string_view header() const;
  // The data section: everything after the header.
  const std::byte* data_section() const { return base_ + 8 + header_size_; }
  size_t data_size() const { return size_ - 8 - header_size_; }

  // Tensors with a supported dtype, sorted by name; data pointers stay valid while this lives.
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const std::vector<UnsupportedTensor>& unsupported() const { return unsupported_; }
  // The "__metadata__" string map (empty when absent).
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  SafetensorsFile() = default;
  void parse_header();

  std::filesystem::path path_;
  const std::byte* base_ = nullptr;  // the mapping
  size_t size_ = 0;
  size_t header_size_ = 0;
  std::vector<TensorInfo> tensors_;
  std::vector<UnsupportedTensor> unsupported_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace tb
