#include "harness/backend/cpu/weight_arena.hpp"

#include <cstring>

#include "harness/core/host_memory.hpp"

namespace tb::cpu {

Tensor WeightArena::copy(const Tensor& host) {
  const size_t bytes = host.nbytes();
  const size_t rounded = (bytes + 63) / 64 * 64;  // keeps every tensor 64-byte aligned
  std::shared_ptr<void> owner;
  char* at = nullptr;
  if (rounded > kChunkBytes / 4) {
    owner = allocate_huge_pages(rounded);
    at = static_cast<char*>(owner.get());
  } else {
    if (!chunk_ || used_ + rounded > kChunkBytes) {
      chunk_ = allocate_huge_pages(kChunkBytes);
      used_ = 0;
    }
    owner = chunk_;
    at = static_cast<char*>(chunk_.get()) + used_;
    used_ += rounded;
  }
  if (bytes) std::memcpy(at, host.data(), bytes);
  return Tensor::view(at, host.shape(), host.dtype(), Device::Cpu, std::move(owner));
}

}  // namespace tb::cpu
