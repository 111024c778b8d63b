#pragma once
// CUDA and cuBLAS status codes as tb::Error: a failed call names the call and the driver's
// reason. A failed allocation is reported by the allocator with its sizes (cuda_allocator.cu).
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <string>

#include "harness/core/error.hpp"

namespace tb::cuda {

[[noreturn]] inline void fail(const char* what, const std::string& reason) {
  throw Error(ErrorKind::Internal, std::string("cuda: ") + what + ": " + reason);
}

inline void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) {
    cudaGetLastError();  // clear a non-sticky error so the next call does not report it again
    fail(what, cudaGetErrorString(status));
  }
}

inline void check(cublasStatus_t status, const char* what) {
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
