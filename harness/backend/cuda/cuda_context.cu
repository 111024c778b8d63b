#include "harness/backend/cuda/cuda_context.cuh"

#include "harness/backend/cuda/cuda_check.cuh"

namespace tb::cuda {

namespace {
// cuBLAS on Hopper wants a 32 MiB workspace; giving it one keeps it from allocating its own.
constexpr size_t kCublasWorkspace = size_t{32} << 20;
}  // namespace

Context::Context(int device) : device_(device) {
  check(cudaSetDevice(device), "cudaSetDevice");
  cudaDeviceProp prop{};
  check(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");
  name_ = prop.name;
  sm_count_ = prop.multiProcessorCount;
  max_shared_ = prop.sharedMemPerBlockOptin;
  check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
  allocator_ = std::make_shared<CachingAllocator>(device);
  check(cublasCreate(&cublas_), "cublasCreate");
  check(cublasSetStream(cublas_, stream_), "cublasSetStream");
  // f32 products stay f32 (no TF32): the CPU reference is matched to 1e-5.
  check(cublasSetMathMode(cublas_, CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
  cublas_workspace_ = allocator_->allocate(kCublasWorkspace);
  check(cublasSetWorkspace(cublas_, cublas_workspace_.get(), kCublasWorkspace),
        "cublasSetWorkspace");
}

Context::~Context() {
  cudaSetDevice(device_);
  if (stream_) cudaStreamSynchronize(stream_);
  if (cublas_) cublasDestroy(cublas_);
  cublas_workspace_.reset();
  if (stream_) cudaStreamDestroy(stream_);
}

Tensor Context::empty(const Shape& shape, DType dtype) {
  const size_t bytes = static_cast<size_t>(shape_numel(shape)) * dtype_size(dtype);
  std::shared_ptr<void> block = allocator_->allocate(bytes == 0 ? 1 : bytes);
  void* data = block.get();
  return Tensor::view(data, shape, dtype, Device::Cuda, std::move(block));
}

void Context::synchronize() {
  check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize");
}

}  // namespace tb::cuda
