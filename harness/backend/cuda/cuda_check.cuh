#pragma once
// CUDA and cuBLAS status codes as tb::Error: a failed call names the call and the driver's
// reason. Running out of memory (device or pinned host, in a CUDA call or inside cuBLAS) is the
// user's limit, not a bug: ErrorKind::OutOfMemory (exit 2) with the sizes asked and free. The
// allocator reports its own failures with the sizes it holds (cuda_allocator.cu).
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <string>

#include "harness/core/error.hpp"
#include "harness/core/out_of_memory.hpp"

namespace tb::cuda {

[[noreturn]] inline void fail(const char* what, const std::string& reason) {
  throw Error(ErrorKind::Internal, std::string("cuda: ") + what + ": " + reason);
}

// `asked`: bytes the failed call wanted, 0 when the library does not say (cuBLAS).
[[noreturn]] inline void fail_out_of_memory(const char* what, MemoryKind kind, size_t asked) {
  size_t free_bytes = 0, total_bytes = 0;
  if (cudaMemGetInfo(&free_bytes, &total_bytes) != cudaSuccess) cudaGetLastError();
  int device = -1;
  if (cudaGetDevice(&device) != cudaSuccess) cudaGetLastError();
  throw Error(ErrorKind::OutOfMemory,
              out_of_memory_message(what, kind, asked, device, free_bytes, total_bytes));
}

// `asked` names the bytes of an allocating call, for its out-of-memory message.
inline void check(cudaError_t status, const char* what, size_t asked = 0,
                  MemoryKind kind = MemoryKind::Device) {
  if (status != cudaSuccess) {
    cudaGetLastError();  // clear a non-sticky error so the next call does not report it again
    if (status == cudaErrorMemoryAllocation) fail_out_of_memory(what, kind, asked);
    fail(what, cudaGetErrorString(status));
  }
}

inline void check(cublasStatus_t status, const char* what) {
  if (status == CUBLAS_STATUS_ALLOC_FAILED) fail_out_of_memory(what, MemoryKind::Device, 0);
  if (status != CUBLAS_STATUS_SUCCESS) fail(what, cublasGetStatusString(status));
}

// After a kernel launch: a bad launch configuration surfaces here, a fault at the next sync.
inline void check_launch(const char* kernel) {
  check(cudaGetLastError(), kernel);
}

inline unsigned blocks_for(int64_t count, int threads) {
  return static_cast<unsigned>((count + threads - 1) / threads);
}

}  // namespace tb::cuda
