#pragma once
// Writes host tensors as a .safetensors file, the format Checkpoint reads: tests, benchmarks and
// tools produce checkpoints from C++ with it.
#include <filesystem>
#include <map>
#include <string>

#include "harness/core/tensor.hpp"

namespace tb {

// Tensors are written in name order with their own dtype; the header is padded with spaces to a
// multiple of 8 bytes as the reference writer does. Throws tb::Error: Internal for a non-host
// tensor, Io when the file cannot be written.
void write_safetensors(const std::filesystem::path& path,
                       const std::map<std::string, Tensor>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace tb
