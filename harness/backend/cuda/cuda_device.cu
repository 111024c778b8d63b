// CUDA device discovery and the CUDA backend's factory. Built when the toolkit is found.
#include <cuda_runtime.h>

#include <string>

#include "harness/backend/backend.hpp"
#include "harness/backend/cuda/cuda_backend_impl.cuh"
#include "harness/backend/cuda_backend.hpp"
#include "harness/core/error.hpp"

namespace tb {

int cuda_device_count() {
  int count = 0;
  // Without a driver this fails ("driver version is insufficient"): that means zero devices.
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error so later CUDA calls are not poisoned
    return 0;
  }
  return count;
}

std::unique_ptr<Backend> make_cuda_backend(int device) {
  const int count = cuda_device_count();
  if (device < 0 || device >= count) {
    throw Error(ErrorKind::BadInput, "cuda:" + std::to_string(device) + ": no such device (" +
                                         std::to_string(count) + " visible)");
  }
  return std::make_unique<cuda::CudaBackend>(device);
}

void set_cuda_attention_path(Backend& backend, CudaAttentionPath path) {
  auto* cuda = dynamic_cast<cuda::CudaBackend*>(&backend);
  if (cuda == nullptr) {
    throw Error(ErrorKind::BadInput,
                "set_cuda_attention_path: " + backend.name() + " is not a CUDA backend");
  }
  cuda->set_attention_path(path);
}

}  // namespace tb
