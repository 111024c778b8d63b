#pragma once
// What every CUDA op needs: the device, its one stream, the cuBLAS handle (with its workspace)
// and the caching allocator. Owned by the backend, passed by reference to the launchers.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <memory>
#include <string>

#include "harness/backend/cuda/cuda_allocator.cuh"
#include "harness/core/tensor.hpp"

namespace tb::cuda {

class Context {
 public:
  explicit Context(int device);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  int device() const { return device_; }
  const std::string& device_name() const { return name_; }
  cudaStream_t stream() const { return stream_; }
  cublasHandle_t cublas() const { return cublas_; }
  int sm_count() const { return sm_count_; }
  size_t max_shared_bytes() const { return max_shared_; }  // per block, with the opt-in

  // An uninitialised device tensor from the cache.
  Tensor empty(const Shape& shape, DType dtype);
  // Raw scratch memory of `bytes` for the duration of the caller's ops (stream-ordered reuse).
  std::shared_ptr<void> scratch(size_t bytes) { return allocator_->allocate(bytes); }
  void synchronize();

 private:
  int device_;
  std::string name_;
  cudaStream_t stream_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  std::shared_ptr<CachingAllocator> allocator_;
  std::shared_ptr<void> cublas_workspace_;
  int sm_count_ = 0;
  size_t max_shared_ = 0;
};

}  // namespace tb::cuda
