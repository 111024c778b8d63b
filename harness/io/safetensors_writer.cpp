#include "harness/io/safetensors_writer.hpp"

#include <cstdint>
#include <fstream>

#include <nlohmann/json.hpp>

#include "harness/core/error.hpp"

namespace tb {
namespace {

std::string safetensors_dtype(DType dtype) {
  switch (dtype) {
    case DType::F32:
      return "F32";
    case DType::F16:
      return "F16";
    case DType::BF16:
      return "BF16";
    case DType::I32:
      return "I32";
  }
  throw Error(ErrorKind::Internal, "write_safetensors: unknown dtype");
}

}  // namespace

void write_safetensors(const std::filesystem::path& path,
                       const std::map<std::string, Tensor>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    if (name == "__metadata__") {
      throw Error(ErrorKind::Internal, "write_safetensors: '__metadata__' is not a tensor name");
    }
    if (tensor.device() != Device::Cpu) {
      throw Error(ErrorKind::Internal, "write_safetensors: tensor " + name + " is not on the host");
    }
    const uint64_t nbytes = tensor.nbytes();
    if (nbytes != 0 && tensor.data() == nullptr) {
      throw Error(ErrorKind::Internal, "write_safetensors: tensor " + name + " has no data");
    }
    header[name] = {{"dtype", safetensors_dtype(tensor.dtype())},
                    {"shape", tensor.shape()},
                    {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
  }
  std::string text = header.dump();
  text.resize((text.size() + 7) / 8 * 8, ' ');

  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw Error(ErrorKind::Io, path.string() + ": cannot open for writing");
  uint64_t length = text.size();
  char length_bytes[8];
  for (char& byte : length_bytes) {
    byte = static_cast<char>(length & 0xff);
    length >>= 8;
  }
  out.write(length_bytes, 8);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  for (const auto& [name, tensor] : tensors) {
    if (tensor.nbytes() == 0) continue;
    out.write(static_cast<const char*>(tensor.data()),
              static_cast<std::streamsize>(tensor.nbytes()));
  }
  out.close();
  if (!out) throw Error(ErrorKind::Io, path.string() + ": write failed");
}

}  // namespace tb
