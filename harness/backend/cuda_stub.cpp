// The CUDA factory of a build without the CUDA toolkit: no devices, and asking for one fails.
#include "harness/backend/backend.hpp"
#include "harness/backend/cuda_backend.hpp"
#include "harness/core/error.hpp"

namespace tb {

int cuda_device_count() {
  return 0;
}

std::unique_ptr<Backend> make_cuda_backend(int device) {
  throw Error(ErrorKind::Unsupported,
              "cuda:" + std::to_string(device) + ": tunebench was built without CUDA");
}

void set_cuda_attention_path(Backend&, CudaAttentionPath) {
  throw Error(ErrorKind::BadInput, "set_cuda_attention_path: tunebench was built without CUDA");
}

}  // namespace tb
