#pragma once
// Backend::stage on a device: the batch's tokens, positions, slots, wanted rows and segments are
// packed into one pinned host buffer, sent with one cudaMemcpyAsync into one device block, and
// the batch's device tensors are i32 views into that block.
#include <cuda_runtime.h>

#include "harness/backend/backend.hpp"
#include "harness/backend/cuda/cuda_context.cuh"

namespace tb::cuda {

class Stager {
 public:
  Stager() = default;
  ~Stager();
  Stager(const Stager&) = delete;
  Stager& operator=(const Stager&) = delete;

  void stage(Context& ctx, StagedBatch& batch);

 private:
  int32_t* pinned_ = nullptr;  // grows; reused once the previous upload has left it
  size_t capacity_ = 0;        // in i32 elements
  cudaEvent_t uploaded_ = nullptr;
};

}  // namespace tb::cuda
