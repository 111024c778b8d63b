#include "harness/backend/cuda/cuda_allocator.cuh"

#include <cuda_runtime.h>

#include <bit>
#include <string>

#include "harness/backend/cuda/cuda_check.cuh"
#include "harness/core/error.hpp"

namespace tb::cuda {

CachingAllocator::~CachingAllocator() {
  free_cached();
}

size_t CachingAllocator::size_class(size_t bytes) {
  constexpr size_t kMin = 512;
  if (bytes <= kMin) return kMin;
  // Round up to a multiple of 1/8 of the power of two at or below `bytes`.
  const size_t top = std::bit_floor(bytes);
  const size_t step = top >= 8 * kMin ? top / 8 : kMin;
  return (bytes + step - 1) / step * step;
}

std::shared_ptr<void> CachingAllocator::allocate(size_t bytes) {
  const size_t size = size_class(bytes);
  void* ptr = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = free_.find(size);
    if (it != free_.end() && !it->second.empty()) {
      ptr = it->second.back();
      it->second.pop_back();
      cached_ -= size;
    }
  }
  if (!ptr) {
    check(cudaSetDevice(device_), "cudaSetDevice");
    cudaError_t status = cudaMalloc(&ptr, size);
    if (status == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      free_cached();
      status = cudaMalloc(&ptr, size);
    }
    if (status == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      size_t free_bytes = 0, total_bytes = 0;
      cudaMemGetInfo(&free_bytes, &total_bytes);
      constexpr double kMiB = 1024.0 * 1024.0;
      throw Error(ErrorKind::OutOfMemory,
                  "cuda:" + std::to_string(device_) + ": out of device memory allocating " +
                      std::to_string(static_cast<long long>(size / kMiB)) + " MiB (" +
                      std::to_string(static_cast<long long>(in_use_ / kMiB)) +
                      " MiB held by tunebench, " +
                      std::to_string(static_cast<long long>(free_bytes / kMiB)) + " MiB free of " +
                      std::to_string(static_cast<long long>(total_bytes / kMiB)) +
                      "); try a smaller --batch-tokens or --context, or a bf16 KV cache");
    }
    check(status, "cudaMalloc");
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    in_use_ += size;
  }
  // The deleter keeps the allocator alive: tensors may outlive the backend.
  std::shared_ptr<CachingAllocator> self = shared_from_this();
  return std::shared_ptr<void>(ptr, [self, size](void* p) { self->release(p, size); });
}

void CachingAllocator::release(void* ptr, size_t size) {
  std::lock_guard<std::mutex> lock(mutex_);
  free_[size].push_back(ptr);
  in_use_ -= size;
  cached_ += size;
}

void CachingAllocator::free_cached() {
  std::lock_guard<std::mutex> lock(mutex_);
  // A block may still be read by queued work: wait for it before handing memory back.
  cudaSetDevice(device_);
  cudaDeviceSynchronize();
  for (auto& [size, blocks] : free_) {
    for (void* p : blocks) cudaFree(p);
    blocks.clear();
  }
  cached_ = 0;
}

}  // namespace tb::cuda
