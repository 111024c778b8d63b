#pragma once
// Where the CPU backend keeps the weights it adopts: copies on huge pages (host_memory.hpp), so
// that every matrix a decode step streams, the 1 MiB q/k/v/o of a small model included, sits on
// them. Small tensors are packed into shared chunks instead of each taking a huge page.
#include <cstddef>
#include <memory>

#include "harness/core/tensor.hpp"

namespace tb::cpu {

class WeightArena {
 public:
  // A host tensor with `host`'s shape, dtype and contents, in the arena's memory.
  Tensor copy(const Tensor& host);

 private:
  // Chunks are this large; a tensor over a quarter of it gets an allocation of its own.
  static constexpr size_t kChunkBytes = size_t{32} << 20;
  std::shared_ptr<void> chunk_;
  size_t used_ = 0;
};

}  // namespace tb::cpu
